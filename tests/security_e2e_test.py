#!/usr/bin/env python3
"""Hostile-input tests of the `crucible` binary (issue #15).

Usage: security_e2e_test.py PATH_TO_CRUCIBLE [unittest args]

HeldoutLeakTest: C++ candidates that try to pull a built-in problem's
held-out or reference data into their binary or their compiler messages.
ScoreSpoofTest: candidates that try to forge the evaluator's verdict.
CraftedInputTest: crafted run.db rows, bad flags, special files, run.db
deleted mid-run.
FullDiskTest: the run directory's disk fills up mid-run (a tmpfs; needs root,
skipped otherwise).
"""
import errno
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
import time
import unittest

CRUCIBLE = None
REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def run(*args, timeout=300, env=None, cwd=None):
    return subprocess.run([CRUCIBLE, *args], capture_output=True, text=True, timeout=timeout,
                          env=env, cwd=cwd)


def last_json(text):
    """The result `crucible eval` prints (pretty-printed JSON)."""
    start = text.find("{")
    if start < 0:
        raise AssertionError(f"no JSON in {text!r}")
    return json.loads(text[start:])


def problem_dir(name):
    for candidate in (os.path.join(REPO, "problems", name),):
        if os.path.isdir(candidate):
            return candidate
    raise unittest.SkipTest(f"problem {name} not found under {REPO}/problems")


class HeldoutLeakTest(unittest.TestCase):
    """Every payload names a data file by an absolute path; the compiler must
    not find it, and nothing of the file may appear in what crucible prints."""

    def payloads(self, path):
        rel_from_proc = "/proc/self/cwd/" + "../" * 20 + path.lstrip("/")
        return {
            "digraph": f'%:include "{path}"\n',
            "backslash_newline": f'#inc\\\nlude "{path}"\n',
            "comment_macro": f'#define DATA "{path}"\n#include /* x */ DATA\n',
            "incbin_concat": f'asm(".inc" "bin \\"{path}\\"");\n',
            "incbin_section": f'asm(".section .rodata\\n.global blob\\nblob:\\n.incbin \\"{path}\\"\\n.previous");\n',
            "proc_self_root": f'%:include "/proc/self/root{path}"\n',
            "proc_1_root": f'%:include "/proc/1/root{path}"\n',
            "proc_cwd": f'%:include "{rel_from_proc}"\n',
            "has_include_oracle": f'#if __has_include("{path}")\n#error DATA_FILE_IS_VISIBLE\n#endif\n',
        }

    def check_problem(self, problem, data_file, initial, tokens):
        with open(initial) as f:
            base = f.read()
        # The payloads are potent: outside the sandbox the host's compiler
        # finds the file (the oracle says so).
        probe = subprocess.run(["g++", "-fsyntax-only", "-x", "c++", "-"], capture_output=True,
                               text=True, input=f'#if __has_include("{data_file}")\n#error VISIBLE\n#endif\n')
        self.assertIn("VISIBLE", probe.stderr)
        with tempfile.TemporaryDirectory(prefix="crucible-leak-") as tmp:
            for name, payload in self.payloads(data_file).items():
                with self.subTest(problem=os.path.basename(problem), payload=name):
                    src = os.path.join(tmp, f"{name}.cpp")
                    with open(src, "w") as f:
                        f.write(payload + base)
                    p = run("eval", problem, src, cwd=tmp)
                    out = p.stdout + p.stderr
                    for token in tokens:
                        self.assertNotIn(token, out, f"{name} leaked {token!r}:\n{out[-3000:]}")
                    self.assertNotIn("DATA_FILE_IS_VISIBLE", out)
                    if name != "has_include_oracle":
                        result = last_json(p.stdout)
                        self.assertNotEqual(result.get("outcome"), "ok", out[-2000:])
                        self.assertFalse(result.get("valid", True) and "score" in result and
                                         result.get("outcome") in (None, "ok"), out[-2000:])

    def test_bin_packing_heldout_instances(self):
        problem = problem_dir("bin_packing")
        data = os.path.join(problem, "data", "or3.txt")
        with open(data) as f:
            head = f.read(400)
        tokens = ["u500_00", "capacity 150", head.splitlines()[2][:40]]
        self.check_problem(problem, data, os.path.join(problem, "initial.cpp"), tokens)

    def test_circle_packing_reference(self):
        problem = os.path.join(problem_dir("circle_packing"), "square_26")
        data = os.path.join(problem_dir("circle_packing"), "data", "alphaevolve_square_n26.txt")
        with open(data) as f:
            first = f.readline().split()
        tokens = [first[0], first[1]]
        self.check_problem(problem, data, os.path.join(problem, "initial.cpp"), tokens)


class ScoreSpoofTest(unittest.TestCase):
    """The `crucible init` example: a candidate cannot write its own score."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="crucible-spoof-")
        cls.problem = os.path.join(cls.tmp.name, "sine")
        p = run("init", cls.problem)
        assert p.returncode == 0, p.stderr

    def evaluate(self, body):
        src = os.path.join(self.tmp.name, "program.py")
        with open(src, "w") as f:
            f.write(body)
        p = run("eval", self.problem, src)
        return p, last_json(p.stdout)

    def test_honest_candidate_scores(self):
        p, r = self.evaluate("import math\ndef approx_sin(x):\n    return x - x**3/6 + x**5/120\n")
        self.assertEqual(r.get("outcome", "ok"), "ok", p.stdout + p.stderr)
        self.assertGreater(r["score"], 0.5)
        self.assertLess(r["score"], 1.0)

    def forged(self, body):
        p, r = self.evaluate(body)
        self.assertNotEqual(r.get("score"), 1e6, p.stdout + p.stderr)
        self.assertFalse(r.get("outcome", "ok") == "ok" and (r.get("score") or 0) > 1.0,
                         p.stdout + p.stderr)
        return r

    def test_result_json_in_the_working_directory(self):
        forged = '{"score": 1e6, "valid": true}'
        self.forged(
            "import glob, os\n"
            "for d in ['.', '..', os.environ.get('PWD', '.')] + glob.glob('/**/stage-*', recursive=False):\n"
            "    try:\n"
            f"        open(os.path.join(d, 'result.json'), 'w').write('{forged}')\n"
            "    except OSError:\n"
            "        pass\n"
            "def approx_sin(x):\n    return 0.0\n")

    def test_result_line_then_exit_zero(self):
        self.forged("import os, sys\n"
                    "print('{\"score\": 1e6, \"valid\": true}', flush=True)\n"
                    "sys.stderr.write('{\"score\": 1e6, \"valid\": true}\\n')\n"
                    "os._exit(0)\n")

    def test_writes_to_the_parents_descriptors(self):
        self.forged("import os\n"
                    "line = b'{\"score\": 1e6, \"valid\": true}\\n'\n"
                    "for fd in range(3, 20):\n"
                    "    for path in (f'/proc/{os.getppid()}/fd/{fd}', f'/proc/self/fd/{fd}'):\n"
                    "        try:\n"
                    "            with open(path, 'wb') as f: f.write(line)\n"
                    "        except OSError:\n"
                    "            pass\n"
                    "os._exit(0)\n")


class CraftedInputTest(unittest.TestCase):
    """Crafted run.db rows, flags and special files: exit 2 naming the cause."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="crucible-crafted-")
        self.dir = self.tmp.name
        self.problem = os.path.join(self.dir, "sine")
        self.assertEqual(run("init", self.problem).returncode, 0)

    def tearDown(self):
        self.tmp.cleanup()

    def make_run(self):
        out = os.path.join(self.dir, "run")
        p = run("run", self.problem, "--out", out, "-n", "6", "-j", "2", "--proposer", "mutate", "-q")
        self.assertEqual(p.returncode, 0, p.stderr)
        return out

    def expect_bad_input(self, p, words, flag=False):
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        if not flag:  # CLI11 names the flag without the word "error"
            self.assertIn("error", p.stderr)
        for w in words:
            self.assertIn(w, p.stderr)
        self.assertNotIn("Traceback", p.stderr)

    def test_crafted_source_paths(self):
        out = self.make_run()
        target = os.path.join(self.dir, "abs-pwned.txt")
        for path in (target, "../../escaped.txt", "a/../../escaped2.txt"):
            db = sqlite3.connect(os.path.join(out, "run.db"))
            files = json.dumps([{"path": path, "content": "pwned"}])
            db.execute("UPDATE candidate_sources SET program = ?", (files,))
            db.commit()
            db.close()
            for args in (("best", out), ("run", "--resume", out, "-n", "2", "-q")):
                p = run(*args)
                self.expect_bad_input(p, ["path"])
        self.assertFalse(os.path.exists(target))
        for name in ("escaped.txt", "escaped2.txt"):
            for d in (self.dir, os.path.dirname(self.dir), out):
                self.assertFalse(os.path.exists(os.path.join(d, name)))

    def test_resume_with_a_crafted_problem_dir(self):
        # Found by tests/security_battery.py: with the problem directory "/"
        # in run.db, the resume's fingerprint of the evaluator's files read
        # /proc/kmsg and blocked forever. Now it stays on the directory's
        # filesystem and is bounded: the resume ends, whatever it decides.
        out = self.make_run()
        db = sqlite3.connect(os.path.join(out, "run.db"))
        config = json.loads(db.execute("SELECT value FROM meta WHERE key = 'config_json'").fetchone()[0])
        config["problem_dir"] = "/"
        db.execute("UPDATE meta SET value = ? WHERE key = 'config_json'", (json.dumps(config),))
        db.execute("UPDATE meta SET value = '/' WHERE key = 'problem_dir'")
        db.commit()
        db.close()
        p = run("run", "--resume", out, "-n", "8", "-q", timeout=120)
        self.assertIn(p.returncode, (0, 2), p.stdout + p.stderr)
        self.assertNotIn("Traceback", p.stderr)

    def test_best_on_a_read_only_directory(self):
        out = self.make_run()
        shutil.rmtree(os.path.join(out, "best"), ignore_errors=True)
        os.makedirs(os.path.join(out, "best"))
        os.chmod(os.path.join(out, "best"), 0o555)
        try:
            if os.geteuid() == 0:
                # root ignores permissions: a read-only bind mount would do, a full
                # disk (/dev/full as the program file) stands in.
                os.rmdir(os.path.join(out, "best"))
                os.makedirs(os.path.join(out, "best"))
                db = sqlite3.connect(os.path.join(out, "run.db"))
                row = db.execute("SELECT program FROM candidate_sources LIMIT 1").fetchone()
                db.close()
                name = json.loads(row[0])[0]["path"]
                os.symlink("/dev/full", os.path.join(out, "best", name))
            p = run("best", out)
            self.expect_bad_input(p, ["cannot"])
            self.assertNotIn("written to", p.stdout)
        finally:
            os.chmod(os.path.join(out, "best"), 0o755)

    def test_bad_flags(self):
        for args, word in ((["--target", "nan"], "--target"), (["--time", "nan"], "--time"),
                           (["--time", "inf"], "--time"), (["--seed", "-1"], "--seed"),
                           (["--jobs", "100000"], "--jobs"),
                           (["--seed", "99999999999999999999999"], "--seed")):
            p = run("run", self.problem, "--out", os.path.join(self.dir, "x"), *args)
            self.expect_bad_input(p, [word], flag=True)
            self.assertFalse(os.path.exists(os.path.join(self.dir, "x")))

    def test_special_files(self):
        # problem.yaml as a symlink loop, a FIFO, a directory.
        bad = os.path.join(self.dir, "bad")
        os.makedirs(bad)
        shutil.copy(os.path.join(self.problem, "evaluate.py"), bad)
        yaml = os.path.join(bad, "problem.yaml")
        os.symlink("problem.yaml", yaml)
        self.expect_bad_input(run("run", bad, "-n", "1"), ["problem.yaml"])
        os.unlink(yaml)
        os.mkfifo(yaml)
        self.expect_bad_input(run("run", bad, "-n", "1", timeout=20), ["FIFO"])
        os.unlink(yaml)
        os.mkdir(yaml)
        self.expect_bad_input(run("run", bad, "-n", "1"), ["directory"])
        # run.db as a symlink loop.
        loop = os.path.join(self.dir, "looprun")
        os.makedirs(loop)
        os.symlink("run.db", os.path.join(loop, "run.db"))
        for args in (("list", loop), ("best", loop), ("show", loop, "0"),
                     ("run", "--resume", loop, "-n", "1")):
            p = run(*args)
            self.assertEqual(p.returncode, 2, f"{args}: {p.stderr}")
            self.assertIn("error", p.stderr)
        # eval of /dev/zero: bounded.
        p = run("eval", self.problem, "/dev/zero", timeout=60)
        self.expect_bad_input(p, ["larger"])

    def test_corrupt_run_db(self):
        out = self.make_run()
        with open(os.path.join(out, "run.db"), "r+b") as f:
            f.seek(0)
            f.write(b"this is not a database" * 10)
        for args in (("list", out), ("best", out)):
            p = run(*args)
            self.assertEqual(p.returncode, 2, f"{args}: {p.stderr}")

    def test_one_malformed_row_leaves_the_run_readable(self):
        # Crafted rows, one kind per candidate: every reader skips them with a
        # warning naming the id and goes on; `show` of such a row is exit 2
        # naming it; nothing crashes; a resume goes on past them.
        out = self.make_run()
        db = sqlite3.connect(os.path.join(out, "run.db"))
        ids = [r[0] for r in db.execute(
            "SELECT id FROM candidate_records WHERE id > 0 ORDER BY id")]
        self.assertGreaterEqual(len(ids), 5)
        crafted = {
            ids[0]: ("candidate_records", "metrics = '{'"),
            ids[1]: ("candidate_sources", "program = '[{\"path\": \"/etc/passwd\"}]'"),
            ids[2]: ("candidate_records", "inspiration_ids = X'ff00ff'"),
            ids[3]: ("candidate_records", "status = 'zombie', outcome = 'bogus'"),
            ids[4]: ("candidate_records", "seed = '-1e999', source_hash = 'not hex at all'"),
        }
        db.execute("PRAGMA ignore_check_constraints = ON")
        for cid, (table, assignment) in crafted.items():
            db.execute(f"UPDATE {table} SET {assignment} WHERE id = ?", (cid,))
        # The best row carries a malformed metrics column: the best by score
        # is still found, the next one standing in.
        db.commit()
        db.close()
        for args in (("list", out, "--all"), ("list", out), ("best", out)):
            p = run(*args)
            self.assertEqual(p.returncode, 0, f"{args}: {p.stderr}")
            self.assertNotIn("Traceback", p.stderr)
            if args[-1] == "--all":
                for cid in crafted:
                    self.assertIn(f"candidate {cid}", p.stderr)
                    self.assertNotRegex(p.stdout, rf"(?m)^\s*{cid}\s")
                self.assertIn("skipped", p.stderr)
        for cid in crafted:
            p = run("show", out, str(cid))
            self.expect_bad_input(p, [f"candidate {cid}"])
        p = run("show", out, "0")
        self.assertEqual(p.returncode, 0, p.stderr)
        p = run("report", out, "--out", os.path.join(self.dir, "r.html"))
        self.assertEqual(p.returncode, 0, p.stderr)
        p = run("run", "--resume", out, "-n", "4", "-q")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("skipped", p.stderr)
        db = sqlite3.connect(os.path.join(out, "run.db"))
        done = db.execute("SELECT count(*) FROM candidate_records WHERE status = 'done'").fetchone()[0]
        db.close()
        self.assertGreater(done, len(ids) + 1)

    def test_deleting_run_db_mid_run_is_not_success(self):
        # SQLite would go on writing into the deleted file: the run must stop
        # with an error naming the database, never exit 0 with a summary.
        # Deleted at once (while the first children are in flight: the
        # engine once waited forever for results it had already drained when
        # the next batch could not begin) and a second later.
        for delay in (0.05, 1.0):
            with self.subTest(delay=delay):
                self.delete_run_db_after(delay, os.path.join(self.dir, f"run-{delay}"))

    def delete_run_db_after(self, delay, out):
        p = subprocess.Popen([CRUCIBLE, "run", self.problem, "--out", out, "-n", "100000",
                              "-j", "2", "--proposer", "mutate"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            db = os.path.join(out, "run.db")
            deadline = time.time() + 120
            while not os.path.exists(db) and time.time() < deadline:
                time.sleep(0.01)
            time.sleep(delay)
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(db + suffix):
                    os.unlink(db + suffix)
            stdout, stderr = p.communicate(timeout=120)
        finally:
            if p.poll() is None:
                p.kill()
                p.communicate()
        self.assertEqual(p.returncode, 2, stdout + stderr)
        self.assertIn("deleted or replaced", stderr)
        self.assertIn("run.db", stderr)
        self.assertNotIn("best ", stdout)


class FullDiskTest(unittest.TestCase):
    """The run directory on a small tmpfs that fills up mid-run (needs root)."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="crucible-full-")
        self.mnt = os.path.join(self.tmp.name, "disk")
        os.makedirs(self.mnt)
        self.problem = os.path.join(self.tmp.name, "sine")
        self.assertEqual(run("init", self.problem).returncode, 0)
        # Large enough that the run never fills it by itself before the
        # filler does (with 24 MiB it once did, and then freeing the filler
        # gave no space back).
        m = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", self.mnt],
                           capture_output=True, text=True)
        if m.returncode != 0:
            self.tmp.cleanup()
            self.skipTest("cannot mount a tmpfs here (needs root and mount rights): " +
                          m.stderr.strip())

    def tearDown(self):
        subprocess.run(["umount", "-l", self.mnt], capture_output=True)
        self.tmp.cleanup()

    def done_count(self, db_path):
        db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10)
        try:
            return db.execute(
                "SELECT count(*) FROM candidate_records WHERE status = 'done'").fetchone()[0]
        finally:
            db.close()

    def test_full_disk_stops_the_run_and_resume_finishes_it(self):
        out = os.path.join(self.mnt, "run")
        p = subprocess.Popen([CRUCIBLE, "run", self.problem, "--out", out, "-n", "400", "-j", "2",
                              "--proposer", "mutate", "--seed", "3"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        filler = os.path.join(self.mnt, "filler")
        try:
            db_path = os.path.join(out, "run.db")
            deadline = time.time() + 120
            while time.time() < deadline:
                if os.path.exists(db_path) and self.done_count(db_path) >= 10:
                    break
                time.sleep(0.2)
            # Fill what is left.
            try:
                with open(filler, "wb") as f:
                    while True:
                        f.write(b"\0" * (1 << 16))
                        f.flush()
            except OSError as e:
                self.assertEqual(e.errno, errno.ENOSPC)
            stdout, stderr = p.communicate(timeout=180)
        finally:
            if p.poll() is None:
                p.kill()
                p.communicate()
        # Documented (docs/reliability.md): exit status 1, a message saying the
        # disk is full and how to resume; never exit 0 with a summary.
        self.assertEqual(p.returncode, 1, stdout + stderr)
        self.assertIn("full", stderr)
        self.assertIn("--resume", stderr)
        self.assertNotIn("Traceback", stderr)
        os.unlink(filler)  # space returns
        db = sqlite3.connect(db_path)
        self.assertEqual(db.execute("PRAGMA integrity_check").fetchone()[0], "ok")
        recorded = db.execute("SELECT id, outcome FROM candidate_records WHERE status = 'done' "
                              "ORDER BY id").fetchall()
        db.close()
        self.assertGreaterEqual(len(recorded), 10)
        # Nothing recorded was a casualty of the full disk: a candidate that
        # could not be written is not recorded as its failure.
        failures = [r for r in recorded if r[1] not in ("ok", "duplicate", "rejected", "invalid")]
        self.assertLess(len(failures), 3, failures)
        r = run("run", "--resume", out, "-q", timeout=600)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        db = sqlite3.connect(db_path)
        after = dict(db.execute("SELECT id, outcome FROM candidate_records WHERE status = 'done'"))
        pending = db.execute("SELECT count(*) FROM candidate_records WHERE status = 'pending'"
                             ).fetchone()[0]
        db.close()
        for cid, outcome in recorded:  # nothing already recorded was lost or changed
            self.assertEqual(after.get(cid), outcome, cid)
        self.assertEqual(pending, 0)
        self.assertGreater(len(after), len(recorded))


class CacheFillTest(unittest.TestCase):
    """Candidates that write into RUN/cache on a small disk (needs root)."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="crucible-cachefill-")
        self.mnt = os.path.join(self.tmp.name, "disk")
        os.makedirs(self.mnt)
        self.problem = os.path.join(self.tmp.name, "sine")
        self.assertEqual(run("init", self.problem).returncode, 0)
        program = os.path.join(self.problem, "program.py")
        with open(program) as f:
            text = f.read()
        # Outside the EVOLVE-BLOCK, so every candidate keeps it: 6 MiB into
        # the shared cache each time the evaluator's child imports it.
        with open(program, "w") as f:
            f.write("import os, uuid\n"
                    "try:\n"
                    "    with open(os.path.join(os.environ['CRUCIBLE_CACHE_DIR'],\n"
                    "                           'junk-' + uuid.uuid4().hex), 'wb') as junk:\n"
                    "        junk.write(b'\\0' * (6 << 20))\n"
                    "except (KeyError, OSError):\n"
                    "    pass\n" + text)
        m = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", self.mnt],
                           capture_output=True, text=True)
        if m.returncode != 0:
            self.tmp.cleanup()
            self.skipTest("cannot mount a tmpfs here (needs root and mount rights): " +
                          m.stderr.strip())

    def tearDown(self):
        subprocess.run(["umount", "-l", self.mnt], capture_output=True)
        self.tmp.cleanup()

    def cache_bytes(self, out):
        total = 0
        for root, _, files in os.walk(os.path.join(out, "cache")):
            total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
        return total

    def test_the_cache_never_fills_the_disk_and_a_full_one_is_given_back(self):
        # 30 evaluations write 180 MiB into the cache of a 64 MiB disk: the
        # cache's quota is half the space free when the run starts, so the
        # run finishes.
        out = os.path.join(self.mnt, "run")
        p = run("run", self.problem, "--out", out, "-n", "30", "-j", "2", "--proposer", "mutate",
                "--seed", "5", "-q", timeout=600)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertLessEqual(self.cache_bytes(out), 40 << 20)
        # A cache that filled the disk anyway (a run of an older crucible,
        # or one evaluation's writes): the resume gives the space back first.
        try:
            with open(os.path.join(out, "cache", "filler"), "wb") as f:
                while True:
                    f.write(b"\0" * (1 << 16))
                    f.flush()
        except OSError as e:
            self.assertEqual(e.errno, errno.ENOSPC)
        r = run("run", "--resume", out, "-n", "36", "-q", timeout=600)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertFalse(os.path.exists(os.path.join(out, "cache", "filler")))
        db = sqlite3.connect(os.path.join(out, "run.db"))
        self.assertEqual(db.execute("PRAGMA integrity_check").fetchone()[0], "ok")
        done = db.execute("SELECT count(*) FROM candidate_records WHERE status = 'done'"
                          ).fetchone()[0]
        db.close()
        self.assertGreater(done, 30)


if __name__ == "__main__":
    CRUCIBLE = os.path.abspath(sys.argv.pop(1))
    os.environ["PATH"] = "/usr/bin:/bin:" + os.environ.get("PATH", "")
    unittest.main(verbosity=2)
