#!/usr/bin/env python3
"""End-to-end tests of parameter-space search (docs/search.md): the `crucible`
binary on a design-space problem whose evaluator is a Python script reading
CANDIDATE_DIR/parameters.json.

Usage: search_e2e_test.py PATH_TO_CRUCIBLE [unittest args]
"""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

CRUCIBLE = None

EVALUATOR = textwrap.dedent("""\
    import json, os, sys
    v = json.load(open(os.path.join(sys.argv[1], "parameters.json")))
    assert set(v) == {"x", "lr", "n", "mode"}, v
    assert -2 <= v["x"] <= 2 and 1e-4 <= v["lr"] <= 1 and v["n"] in range(0, 10)
    score = -(v["x"] - 0.5) ** 2 - (v["n"] - 7) ** 2 / 10 - (0 if v["mode"] == "c" else 1) \\
            - abs(__import__("math").log10(v["lr"]) + 2) / 4
    line = json.dumps({"score": score, "valid": True}) + "\\n"
    os.write(int(os.environ["CRUCIBLE_RESULT_FD"]), line.encode())
    """)


def problem_yaml(strategy):
    return textwrap.dedent(f"""\
        name: tiny_space
        evaluator: {{command: python3 evaluate.py, timeout: 30}}
        objective: {{key: score, direction: maximize}}
        parameters:
          x:    {{type: float, low: -2, high: 2, default: -1.5}}
          lr:   {{type: float, low: 1e-4, high: 1, log: true}}
          n:    {{type: int, low: 0, high: 9, default: 1}}
          mode: {{type: categorical, choices: [a, b, c]}}
        search: {{strategy: {strategy}}}
        """)


def run(*args, check=None, timeout=300):
    p = subprocess.run([CRUCIBLE, *args], capture_output=True, text=True, timeout=timeout)
    if check is not None and p.returncode != check:
        raise AssertionError(f"crucible {' '.join(args)} exited {p.returncode}, expected {check}\n"
                             f"stdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    return p


def rows(run_dir):
    """(id, outcome, score, proposer, detail, parameters.json) of every candidate."""
    db = sqlite3.connect(f"file:{run_dir}/run.db?mode=ro", uri=True)
    out = []
    for cid, outcome, score, proposer, detail, program in db.execute(
            "SELECT id, outcome, score, proposer, proposal_detail, program FROM candidates ORDER BY id"):
        files = {f["path"]: f.get("content") for f in json.loads(program)}
        out.append((cid, outcome, score, proposer, json.loads(detail or "{}"),
                    files.get("parameters.json")))
    db.close()
    return out


class Base(unittest.TestCase):
    strategy = "cmaes"

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="crucible-search-")
        self.dir = self.tmp.name
        self.problem = os.path.join(self.dir, "problem")
        os.makedirs(self.problem)
        with open(os.path.join(self.problem, "problem.yaml"), "w") as f:
            f.write(problem_yaml(self.strategy))
        with open(os.path.join(self.problem, "evaluate.py"), "w") as f:
            f.write(EVALUATOR)

    def tearDown(self):
        self.tmp.cleanup()

    def strategy_values(self, run_dir):
        """The values the strategy asked for, first occurrences, in id order."""
        seen, out = set(), []
        for _, outcome, _, proposer, detail, values in rows(run_dir):
            if proposer != "search" or "filler" in detail or values in seen:
                continue
            seen.add(values)
            out.append(values)
        return out


class SearchRunTest(Base):
    def test_design_space_run_improves_on_the_defaults(self):
        out = os.path.join(self.dir, "run")
        p = run("run", self.problem, "--out", out, "--evaluations", "40", "--jobs", "2",
                "--seed", "3", "--deterministic", check=0)
        self.assertIn("proposer: search", p.stdout + p.stderr)
        rs = rows(out)
        initial = rs[0]
        self.assertEqual(initial[3], "initial")
        # The initial program is the defaults (mode and lr: first choice, geometric middle).
        self.assertEqual(json.loads(initial[5]), {"x": -1.5, "lr": 0.01, "n": 1, "mode": "a"})
        children = [r for r in rs[1:] if r[1] == "ok"]
        self.assertEqual(len(children), 40)
        for r in children:
            self.assertEqual(r[3], "search")
            self.assertEqual(len(r[4]["x"]), 4)
        self.assertGreater(max(r[2] for r in children), initial[2] + 1.0)
        # No values evaluated twice.
        values = [r[5] for r in children]
        self.assertEqual(len(values), len(set(values)))

    def test_deterministic_runs_are_identical(self):
        lists = []
        for i in range(2):
            out = os.path.join(self.dir, f"det{i}")
            run("run", self.problem, "--out", out, "--evaluations", "20", "--jobs", "2",
                "--seed", "8", "--deterministic", check=0)
            lists.append([(r[1], r[5]) for r in rows(out)])
        self.assertEqual(lists[0], lists[1])

    def test_sigkill_and_resume_continue_the_strategy_exactly(self):
        # One in flight, so the order of asks is the order of ids.
        whole = os.path.join(self.dir, "whole")
        run("run", self.problem, "--out", whole, "--evaluations", "30", "--jobs", "1",
            "--seed", "5", "--deterministic", "-q", check=0)
        expected = self.strategy_values(whole)
        out = os.path.join(self.dir, "killed")
        killed_once = False
        for attempt in range(4):
            args = ["run", "--resume", out] if os.path.exists(os.path.join(out, "run.db")) else \
                ["run", self.problem, "--out", out, "--seed", "5", "--deterministic"]
            proc = subprocess.Popen([CRUCIBLE, *args, "--evaluations", "30", "--jobs", "1", "-q"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1.5 + 0.7 * attempt)
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                killed_once = True
            proc.wait()
        if not killed_once or not os.path.exists(os.path.join(out, "run.db")):
            self.skipTest("the run was never killed mid-way")
        run("run", "--resume", out, "--evaluations", "30", "-q", check=0)
        got = self.strategy_values(out)
        n = min(len(got), len(expected))
        self.assertGreaterEqual(n, 22)
        self.assertEqual(got[:n], expected[:n])


class SearchRandomTest(Base):
    strategy = "random"

    def test_random_search_runs(self):
        out = os.path.join(self.dir, "run")
        run("run", self.problem, "--out", out, "--evaluations", "20", "--jobs", "2", check=0)
        self.assertEqual(sum(1 for r in rows(out)[1:] if r[1] == "ok"), 20)


class SearchProxyTest(Base):
    """search.proxy (docs/search.md, "The proxy model"): the frozen
    configuration keeps it, kept children record their batch, and a
    deterministic run repeats exactly."""
    strategy = "random"

    def setUp(self):
        super().setUp()
        path = os.path.join(self.problem, "problem.yaml")
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(text.replace("search: {strategy: random}",
                                 "search: {strategy: random, population: 12, proxy: {screen: 4, warmup: 8}}"))

    def test_batches_are_screened_and_recorded(self):
        outs = []
        for i in range(2):
            out = os.path.join(self.dir, f"run{i}")
            p = run("run", self.problem, "--out", out, "--evaluations", "30", "--jobs", "2",
                    "--seed", "4", "--deterministic", check=0)
            outs.append(out)
        self.assertIn("screened out", p.stdout + p.stderr)
        rs = rows(outs[0])
        self.assertEqual(rs, rows(outs[1]))
        batches = {}
        for _, outcome, _, proposer, detail, values in rs[1:]:
            self.assertEqual(outcome, "ok")
            if "screen" in detail:
                s = detail["screen"]
                self.assertEqual(len(s["kept"]), (len(s["x"]) + 3) // 4)
                self.assertIn(detail["x"], [s["x"][i] for i in s["kept"]])
                batches[s["batch"]] = s
        self.assertGreaterEqual(len(batches), 3)
        db = sqlite3.connect(f"file:{outs[0]}/run.db?mode=ro", uri=True)
        frozen = db.execute("SELECT value FROM meta WHERE key = 'config_json'").fetchone()[0]
        db.close()
        self.assertEqual(json.loads(frozen)["search"]["proxy"], {"screen": 4, "warmup": 8})


class SearchTpeTest(Base):
    strategy = "tpe"

    def test_tpe_runs_and_improves(self):
        out = os.path.join(self.dir, "run")
        run("run", self.problem, "--out", out, "--evaluations", "30", "--jobs", "2", "--seed", "4",
            check=0)
        rs = rows(out)
        children = [r for r in rs[1:] if r[1] == "ok"]
        self.assertEqual(len(children), 30)
        self.assertTrue(all(r[4]["strategy"] == "tpe" and "filler" not in r[4] for r in children))
        self.assertGreater(max(r[2] for r in children), rs[0][2])


class SearchProgramTest(Base):
    """A program with parameters: the program is kept, parameters.json varies."""

    def setUp(self):
        super().setUp()
        with open(os.path.join(self.problem, "policy.py"), "w") as f:
            f.write("def value(p):\n    return -(p['x'] - 0.3) ** 2 - abs(p['n'] - 4)\n")
        with open(os.path.join(self.problem, "evaluate.py"), "w") as f:
            f.write(textwrap.dedent("""\
                import json, os, sys
                sys.path.insert(0, sys.argv[1])
                import policy
                v = json.load(open(os.path.join(sys.argv[1], "parameters.json")))
                line = json.dumps({"score": policy.value(v), "valid": True}) + "\\n"
                os.write(int(os.environ["CRUCIBLE_RESULT_FD"]), line.encode())
                """))
        with open(os.path.join(self.problem, "problem.yaml"), "w") as f:
            f.write(textwrap.dedent("""\
                name: program_with_parameters
                files: [policy.py]
                evaluator: {command: python3 evaluate.py, timeout: 30}
                objective: {key: score, direction: maximize}
                parameters:
                  x: {type: float, low: -1, high: 1, default: -1}
                  n: {type: int, low: 0, high: 8, default: 0}
                search: {strategy: de, population: 6}
                """))

    def test_program_is_kept_and_parameters_searched(self):
        out = os.path.join(self.dir, "run")
        run("run", self.problem, "--out", out, "--evaluations", "24", "--jobs", "2", "--seed", "2",
            check=0)
        db = sqlite3.connect(f"file:{out}/run.db?mode=ro", uri=True)
        programs = [json.loads(p) for (p,) in db.execute("SELECT program FROM candidates ORDER BY id")]
        db.close()
        self.assertEqual(len(programs), 25)
        for files in programs:
            self.assertEqual([f["path"] for f in files], ["policy.py", "parameters.json"])
            self.assertEqual(files[0]["content"], programs[0][0]["content"])
        self.assertEqual(json.loads(programs[0][1]["content"]), {"x": -1, "n": 0})
        self.assertGreater(len({f[1]["content"] for f in programs}), 20)
        rs = rows(out)
        self.assertGreater(max(r[2] for r in rs if r[1] == "ok"), rs[0][2])


class SearchNsga2Test(Base):
    """Two objectives over a parameter space: NSGA-II, the run's front, `crucible best`."""

    def setUp(self):
        super().setUp()
        with open(os.path.join(self.problem, "evaluate.py"), "w") as f:
            f.write(textwrap.dedent("""\
                import json, os, sys
                v = json.load(open(os.path.join(sys.argv[1], "parameters.json")))
                # score wants x = 0.5, cost wants x = -1: the front is x in [-1, 0.5].
                score = -(v["x"] - 0.5) ** 2 - (v["n"] - 7) ** 2 / 10
                line = json.dumps({"score": score, "valid": True,
                                   "metrics": {"cost": (v["x"] + 1) ** 2}}) + "\\n"
                os.write(int(os.environ["CRUCIBLE_RESULT_FD"]), line.encode())
                """))
        with open(os.path.join(self.problem, "problem.yaml"), "w") as f:
            f.write(textwrap.dedent("""\
                name: two_objectives
                evaluator: {command: python3 evaluate.py, timeout: 30}
                objectives:
                  - {key: score, direction: maximize}
                  - {key: cost, direction: minimize}
                parameters:
                  x: {type: float, low: -2, high: 2, default: -1.5}
                  n: {type: int, low: 0, high: 9, default: 1}
                search: {strategy: nsga2, population: 8}
                """))

    def test_nsga2_fills_the_front(self):
        out = os.path.join(self.dir, "run")
        run("run", self.problem, "--out", out, "--evaluations", "48", "--jobs", "2", "--seed", "5",
            check=0)
        rs = rows(out)
        children = [r for r in rs[1:] if r[1] == "ok"]
        self.assertEqual(len(children), 48)
        self.assertTrue(all(r[4]["strategy"] == "nsga2" for r in children))
        p = run("best", out, check=0)
        self.assertIn("front", p.stdout)
        members = os.listdir(os.path.join(out, "best", "front"))
        self.assertGreaterEqual(len(members), 4, p.stdout)
        xs = []
        for m in members:
            with open(os.path.join(out, "best", "front", m, "parameters.json")) as f:
                xs.append(json.load(f)["x"])
        # The front spreads along the trade-off (x from -1 towards 0.5), not
        # only around one objective's best.
        self.assertLess(min(xs), -0.7, xs)
        self.assertGreater(max(xs) - min(xs), 0.7, xs)


class SearchBadInputTest(Base):
    def write(self, text):
        with open(os.path.join(self.problem, "problem.yaml"), "w") as f:
            f.write(text)

    def test_errors_name_the_field(self):
        self.write(problem_yaml("cmaes").replace("high: 9", "high: -3"))
        p = run("run", self.problem, "--out", os.path.join(self.dir, "r1"))
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("parameters.n.high: must be greater than low (got low 0, high -3)", p.stderr)
        self.write(problem_yaml("hillclimb"))
        p = run("run", self.problem, "--out", os.path.join(self.dir, "r2"))
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("search.strategy: must be one of", p.stderr)

    def test_search_proposer_needs_a_space(self):
        plain = os.path.join(self.dir, "plain")
        run("init", plain, check=0)
        p = run("run", plain, "--out", os.path.join(self.dir, "r3"), "--proposer", "search")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("the search proposer needs a `parameters:` section", p.stderr)


if __name__ == "__main__":
    CRUCIBLE = os.path.abspath(sys.argv.pop(1))
    unittest.main()
