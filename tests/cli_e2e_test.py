#!/usr/bin/env python3
"""End-to-end tests of the `crucible` binary, run as a user would run it.

Usage: cli_e2e_test.py PATH_TO_CRUCIBLE [unittest args]
"""
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

from hostile_cases import HostileCases

CRUCIBLE = None


def run(*args, check=None, timeout=120, env=None):
    p = subprocess.run([CRUCIBLE, *args], capture_output=True, text=True, timeout=timeout, env=env)
    if check is not None and p.returncode != check:
        raise AssertionError(f"crucible {' '.join(args)} exited {p.returncode}, expected {check}\n"
                             f"stdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    return p


def candidates(run_dir):
    db = sqlite3.connect(f"file:{run_dir}/run.db?mode=ro", uri=True)
    rows = db.execute("SELECT id, status, outcome, score, parent_id FROM candidates ORDER BY id").fetchall()
    db.close()
    return rows


class Base(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="crucible-e2e-")
        self.dir = self.tmp.name
        self.problem = os.path.join(self.dir, "problem")
        run("init", self.problem, check=0)

    def tearDown(self):
        self.tmp.cleanup()


class RunTest(Base):
    def test_run_improves_and_inspection_commands_work(self):
        out = os.path.join(self.dir, "run")
        p = run("run", self.problem, "--out", out, "--evaluations", "80", "--seed", "3", check=0)
        self.assertIn("stopped: evaluation budget of 80 reached", p.stdout)
        m = re.search(r"best score: ([0-9.e-]+) \(candidate #(\d+)\); initial program ([0-9.e-]+)", p.stdout)
        self.assertIsNotNone(m, p.stdout)
        self.assertGreater(float(m.group(1)), float(m.group(3)))
        self.assertIn("held-out score of the best program", p.stderr)

        b = run("best", out, check=0)
        self.assertIn(f"(candidate #{m.group(2)}", b.stdout)
        self.assertIn("held-out score:", b.stdout)
        metrics = json.load(open(os.path.join(out, "best", "metrics.json")))
        self.assertEqual(metrics["outcome"], "ok")
        self.assertIn("heldout", metrics)
        self.assertTrue(os.path.exists(os.path.join(out, "best", "program.py")))

        lst = run("list", out, "--top", "5", check=0)
        self.assertEqual(len(lst.stdout.strip().splitlines()), 6)
        self.assertIn(m.group(2), lst.stdout.splitlines()[1])

        show = run("show", out, m.group(2), check=0)
        self.assertIn("outcome: ok", show.stdout)
        self.assertIn("diff against #", show.stdout)
        self.assertIn("+++ b/program.py", show.stdout)

        ev = run("eval", self.problem, os.path.join(out, "best", "program.py"), check=0)
        self.assertAlmostEqual(json.loads(ev.stdout)["score"], float(m.group(1)), places=5)

        rows = candidates(out)
        self.assertEqual(len({r[0] for r in rows}), len(rows))
        self.assertTrue(all(r[1] == "done" for r in rows))
        self.assertEqual(sum(1 for r in rows if r[0] != 0 and r[2] not in ("duplicate", "rejected")), 80)

    def test_deterministic_runs_are_identical(self):
        lists = []
        for i in range(2):
            out = os.path.join(self.dir, f"det{i}")
            run("run", self.problem, "--out", out, "--evaluations", "40", "--seed", "11",
                "--deterministic", "--jobs", "2", check=0)
            lists.append(run("list", out, "--all", check=0).stdout)
        self.assertEqual(lists[0], lists[1])
        self.assertGreater(len(lists[0].splitlines()), 40)

    def test_sigkill_and_resume_loses_nothing(self):
        out = os.path.join(self.dir, "killed")
        for attempt in range(3):
            args = ["run", "--resume", out] if os.path.exists(out) else ["run", self.problem, "--out", out]
            proc = subprocess.Popen([CRUCIBLE, *args, "--evaluations", "120", "--jobs", "2", "-q"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.8 + 0.4 * attempt)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            if not os.path.exists(os.path.join(out, "run.db")):
                continue
        if not os.path.exists(os.path.join(out, "run.db")):
            self.skipTest("the run never got started before being killed")
        run("run", "--resume", out, "--evaluations", "120", check=0)
        rows = candidates(out)
        self.assertEqual(len({r[0] for r in rows}), len(rows))
        self.assertTrue(all(r[1] == "done" for r in rows), [r for r in rows if r[1] != "done"])
        self.assertEqual(sum(1 for r in rows if r[0] != 0 and r[2] not in ("duplicate", "rejected")), 120)

    def test_ctrl_c_saves_and_resume_finishes(self):
        out = os.path.join(self.dir, "interrupted")
        proc = subprocess.Popen([CRUCIBLE, "run", self.problem, "--out", out, "--evaluations", "100000"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 30
        while time.time() < deadline and not os.path.exists(os.path.join(out, "run.db")):
            time.sleep(0.1)
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 130, stderr)
        self.assertIn("stopped: interrupted", stdout)
        self.assertIn(f"crucible run --resume {out}", stdout)
        n = len(candidates(out))
        run("run", "--resume", out, "--evaluations", "20", check=0) if n < 15 else None
        p = run("run", "--resume", out, "--evaluations", str(n + 10), check=0)
        self.assertIn("evaluation budget", p.stdout)


class ExampleTest(Base):
    def test_shipped_example_is_what_init_writes(self):
        shipped = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "sine_approx")
        for name in sorted(os.listdir(self.problem)):
            with open(os.path.join(self.problem, name)) as a, open(os.path.join(shipped, name)) as b:
                self.assertEqual(a.read(), b.read(), f"examples/sine_approx/{name} differs from `crucible init`")
        self.assertEqual(sorted(os.listdir(self.problem)), sorted(os.listdir(shipped)))


class BadInputTest(Base):
    def assert_bad(self, args, message_part, out=None):
        p = run(*args, check=2)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertTrue(p.stderr.startswith("crucible: error: "), p.stderr)
        self.assertIn(message_part, p.stderr)
        if out:
            self.assertFalse(os.path.exists(out), "a bad run must write nothing")

    def test_malformed_options_exit_2(self):
        for args in (["run", "--jobs", "abc", self.problem], ["run", "--executor", "cloud", self.problem],
                     ["run", "--no-such-flag", self.problem], ["frobnicate"]):
            p = run(*args, check=2)
            self.assertIn("--help", p.stderr, args)
        self.assertEqual(run("run", "--help", check=0).returncode, 0)

    def test_missing_problem(self):
        out = os.path.join(self.dir, "r")
        self.assert_bad(["run", os.path.join(self.dir, "nope"), "--out", out], "does not exist", out)

    def test_malformed_yaml(self):
        with open(os.path.join(self.problem, "problem.yaml"), "a") as f:
            f.write("budget: [unclosed\n")
        out = os.path.join(self.dir, "r")
        self.assert_bad(["run", self.problem, "--out", out], "malformed YAML", out)

    def test_unknown_key(self):
        with open(os.path.join(self.problem, "problem.yaml"), "a") as f:
            f.write("archiv: {islands: 2}\n")
        out = os.path.join(self.dir, "r")
        self.assert_bad(["run", self.problem, "--out", out], "archiv: unknown key", out)

    def test_unknown_builtin_evaluator(self):
        # The names come from the binary's registry (the config component
        # does not link the harnesses; engine/run.h passes them in).
        path = os.path.join(self.problem, "problem.yaml")
        with open(path) as f:
            text = f.read()
        text = re.sub(r"(?m)^evaluator:.*(\n[ ].*)*", "evaluator: {builtin: no_such_problem}", text)
        with open(path, "w") as f:
            f.write(text)
        out = os.path.join(self.dir, "r")
        self.assert_bad(["run", self.problem, "--out", out],
                        "evaluator.builtin: unknown built-in evaluator 'no_such_problem' (known: "
                        "bin_packing", out)

    def test_initial_program_that_fails(self):
        with open(os.path.join(self.problem, "program.py"), "a") as f:
            f.write("raise SystemExit('broken on purpose')\n")
        out = os.path.join(self.dir, "r")
        self.assert_bad(["run", self.problem, "--out", out], "the initial program failed to evaluate", out)

    def test_not_a_run_directory(self):
        self.assert_bad(["list", self.problem], "not a crucible run directory")
        self.assert_bad(["run", "--resume", self.problem], "not a crucible run directory")

    def test_existing_output_directory(self):
        self.assert_bad(["run", self.problem, "--out", self.problem], "already exists")

    def test_help_on_every_command(self):
        for cmd in ("run", "best", "list", "show", "eval", "init"):
            p = run(cmd, "--help", check=0)
            self.assertIn("Usage", p.stdout)


HOSTILE_EVALUATOR = """\
import json, os, runpy, sys
module = runpy.run_path(os.path.join(sys.argv[-1], "program.py"))
print(json.dumps({"score": 1.0, "feedback": str(module.get("REPORT", ""))}))
"""

# The tag in the command line is inherited by every process a candidate
# forks: survivors are found by it, never confused with the processes of
# tests running beside this one.
HOSTILE_TAG = f"crucible-hostile-{os.getpid()}"
HOSTILE_YAML = f"""\
name: hostile
files: [program.py]
evaluator:
  command: python3 evaluate.py --tag={HOSTILE_TAG}
  timeout: 8
  memory_mb: 256
  max_processes: 32
"""


class HostileCandidateTest(HostileCases, unittest.TestCase):
    """Candidates that misbehave get the right outcome and leave no process behind."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="crucible-hostile-")
        cls.problem = os.path.join(cls.tmp.name, "hostile")
        os.makedirs(cls.problem)
        with open(os.path.join(cls.problem, "problem.yaml"), "w") as f:
            f.write(HOSTILE_YAML)
        with open(os.path.join(cls.problem, "evaluate.py"), "w") as f:
            f.write(HOSTILE_EVALUATOR)
        with open(os.path.join(cls.problem, "program.py"), "w") as f:
            f.write("REPORT = 'fine'\n")
        cls.protected_dir = cls.problem

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def evaluate(self, source, env=None):
        marker = f"crucible_hostile_{os.getpid()}_{time.time_ns()}"
        path = os.path.join(self.tmp.name, "candidate.py")
        with open(path, "w") as f:
            f.write(f"# {marker}\n" + textwrap.dedent(source))
        p = run("eval", self.problem, path, env=env, timeout=60)
        time.sleep(0.2)
        survivors = subprocess.run(["pgrep", "-f", HOSTILE_TAG], capture_output=True, text=True).stdout
        self.assertEqual(survivors.strip(), "", "a candidate process survived its evaluation")
        return p, json.loads(p.stdout)

    def test_printing_gigabytes_is_capped(self):
        start = time.time()
        p, r = self.evaluate("import sys\nwhile True:\n    sys.stdout.write('x' * 1000000)\n")
        self.assertIn(r["outcome"], ("timeout", "evaluator_error"))
        self.assertLess(len(p.stdout), 1 << 20)
        self.assertLess(time.time() - start, 30)


if __name__ == "__main__":
    CRUCIBLE = os.path.abspath(sys.argv.pop(1))
    # The system interpreter first, as on a fresh Debian machine: version
    # managers' shims (pyenv) cost ~0.4 s per start, which is all these tests measure.
    os.environ["PATH"] = "/usr/bin:/bin:" + os.environ.get("PATH", "")
    unittest.main(verbosity=2)
