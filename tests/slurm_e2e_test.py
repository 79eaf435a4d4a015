#!/usr/bin/env python3
"""End-to-end tests of `crucible run --executor slurm` (docs/slurm.md).

Usage: slurm_e2e_test.py PATH_TO_CRUCIBLE [unittest args]

FakeSlurmTest puts scripted fakes of sbatch/squeue/scontrol/sacct/scancel
(src/executor/testdata/fake-slurm) first on PATH: quick, runs in CI.
RealSlurmTest starts a one-node Slurm cluster on 127.0.0.1 with
scripts/slurm-local.sh (Debian's slurm-wlm and munge, as root) on free ports
and stops it afterwards; it skips, saying why, where Slurm cannot start. Set
CRUCIBLE_SLURM_CONF to a running cluster's slurm.conf to use that instead.
"""
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

CRUCIBLE = None
HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)
FAKE_SLURM = os.path.join(SOURCE, "src", "executor", "testdata", "fake-slurm")
SLURM_LOCAL = os.path.join(SOURCE, "scripts", "slurm-local.sh")

# The evaluator of the test problem: the example's, delayed for children by
# the number in PROBLEM/delay (read at evaluation time, so a test can change it).
SLOW_EVALUATOR = """\
import os, runpy, sys, time
if os.environ.get("CRUCIBLE_CANDIDATE_ID") != "0":
    try:
        with open(os.path.join(os.environ["CRUCIBLE_PROBLEM_DIR"], "delay")) as f:
            time.sleep(float(f.read()))
    except FileNotFoundError:
        pass
runpy.run_path(os.path.join(os.environ["CRUCIBLE_PROBLEM_DIR"], "evaluate.py"), run_name="__main__")
"""


def wait_for(predicate, timeout=60, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def rows(run_dir):
    db = sqlite3.connect(f"file:{run_dir}/run.db?mode=ro", uri=True)
    r = db.execute("SELECT id, status, outcome, score, parent_id, feedback FROM candidates "
                   "ORDER BY id").fetchall()
    db.close()
    return r


def job_dirs(run_dir):
    root = os.path.join(run_dir, "slurm")
    return sorted(os.listdir(root)) if os.path.isdir(root) else []


def jobs_in_flight(run_dir):
    """Job directories with a job id and no result yet."""
    root = os.path.join(run_dir, "slurm")
    return [d for d in job_dirs(run_dir)
            if os.path.exists(os.path.join(root, d, "jobid"))
            and not os.path.exists(os.path.join(root, d, "result.json"))]


def read(path):
    with open(path) as f:
        return f.read()


def job_id(run_dir, d):
    return read(os.path.join(run_dir, "slurm", d, "jobid")).strip()


def process_tree(pid):
    """`pid` and its descendants, as Slurm's proctrack/linuxproc finds them in /proc."""
    children = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
        children.setdefault(ppid, []).append(int(name))
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo += children.get(p, [])
    return tree


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline") as f:
            return f.read()
    except OSError:
        return ""


class SlurmCases:
    """Cases shared by the fake and the real cluster. Subclasses set self.env."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="crucible-slurm-e2e-")
        self.dir = self.tmp.name
        self.problem = os.path.join(self.dir, "problem")
        self.crucible("init", self.problem, check=0)
        with open(os.path.join(self.problem, "slow_evaluate.py"), "w") as f:
            f.write(SLOW_EVALUATOR)
        yaml_path = os.path.join(self.problem, "problem.yaml")
        text = read(yaml_path)
        text = text.replace("command: python3 evaluate.py", "command: python3 slow_evaluate.py")
        text = text.replace("heldout: true", "heldout: false")
        text += "\nslurm:\n  poll_interval: 0.1\n  result_grace: 5\n  memory_mb: 1024\n"
        with open(yaml_path, "w") as f:
            f.write(text)

    def tearDown(self):
        self.tmp.cleanup()

    def crucible(self, *args, check=None, timeout=300):
        p = subprocess.run([CRUCIBLE, *args], capture_output=True, text=True, timeout=timeout,
                           env=self.env)
        if check is not None and p.returncode != check:
            raise AssertionError(f"crucible {' '.join(args)} exited {p.returncode}, expected "
                                 f"{check}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}")
        return p

    def set_delay(self, seconds):
        with open(os.path.join(self.problem, "delay"), "w") as f:
            f.write(str(seconds))

    def test_deterministic_run_matches_local_run(self):
        local, slurm = os.path.join(self.dir, "local"), os.path.join(self.dir, "slurm")
        args = ["-n", "8", "-j", "2", "--seed", "5", "--deterministic"]
        self.crucible("run", self.problem, "--out", local, *args, check=0)
        p = self.crucible("run", self.problem, "--out", slurm, "--executor", "slurm", *args, check=0)
        self.assertIn("slurm: each evaluation is a job", p.stderr)
        self.assertIn("stopped: evaluation budget of 8 reached", p.stdout)
        strip = lambda rs: [r[:5] for r in rs]
        self.assertEqual(strip(rows(slurm)), strip(rows(local)))
        self.assertEqual(len(job_dirs(slurm)), 8, "one job per child, none twice")
        self.assertEqual(self.crucible("list", slurm, "--all", check=0).stdout,
                         self.crucible("list", local, "--all", check=0).stdout)

    def test_resume_with_jobs_in_flight(self):
        out = os.path.join(self.dir, "run")
        self.set_delay(1.5)
        args = ["-n", "8", "-j", "3", "--seed", "2"]
        coordinator = subprocess.Popen(
            [CRUCIBLE, "run", self.problem, "--out", out, "--executor", "slurm", *args],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=self.env)
        try:
            # Kill it while jobs run whose children are recorded as pending.
            def pending_in_flight():
                if not os.path.exists(os.path.join(out, "run.db")):
                    return None
                try:
                    pending = {f"c{r[0]}-0" for r in rows(out) if r[1] == "pending"}
                except sqlite3.Error:  # being created
                    return None
                both = pending & set(jobs_in_flight(out))
                return both if len(both) >= 2 else None
            in_flight = wait_for(pending_in_flight, what="two pending children with jobs in flight")
            coordinator.send_signal(signal.SIGKILL)
            coordinator.wait()
        finally:
            if coordinator.poll() is None:
                coordinator.kill()
                coordinator.wait()
        ids = {d: job_id(out, d) for d in in_flight}
        self.assertTrue(any(self.job_alive(i) for i in ids.values()),
                        "the jobs outlive the coordinator")
        self.set_delay(0.2)
        p = self.crucible("run", "--resume", out, *args, check=0)
        self.assertIn("stopped: evaluation budget of 8 reached", p.stdout)
        final = rows(out)
        self.assertTrue(all(r[1] == "done" for r in final), final)
        children = [r for r in final if r[0] != 0]
        self.assertEqual(len(children), 8)
        # Each child got the evaluator's own verdict, none a lost or cancelled job.
        self.assertTrue(all(r[2] not in ("evaluator_error", "cancelled") for r in children),
                        children)
        dirs = job_dirs(out)
        for d in in_flight:
            self.assertIn(d, dirs)
            self.assertNotIn(d.replace("-0", "-1"), dirs, "an adopted job is not submitted again")
        for r in children:
            self.assertIn(f"c{r[0]}-0", dirs)
            # The same program must not have run twice. (A child whose
            # evaluation started less than 50 ms before the kill was never
            # recorded; its job is cancelled as an orphan, or finishes
            # unseen, and its id goes to a new, different child.)
            ran = [read(os.path.join(out, "slurm", d, "candidate", "program.py")) for d in dirs
                   if d.startswith(f"c{r[0]}-")
                   and os.path.exists(os.path.join(out, "slurm", d, "result.json"))]
            info = {d: (sorted(os.listdir(os.path.join(out, "slurm", d))),
                        read(os.path.join(out, "slurm", d, "cancelled"))
                        if os.path.exists(os.path.join(out, "slurm", d, "cancelled")) else "")
                    for d in dirs if d.startswith(f"c{r[0]}-")}
            self.assertEqual(len(ran), len(set(ran)),
                             f"candidate {r[0]}'s program was evaluated twice: {info}; "
                             f"in flight at the kill: {in_flight}")

    def test_job_cancelled_by_hand_is_recorded(self):
        out = os.path.join(self.dir, "run")
        self.set_delay(120)
        coordinator = subprocess.Popen(
            [CRUCIBLE, "run", self.problem, "--out", out, "--executor", "slurm", "-n", "1", "-j", "1"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.env)
        try:
            d = wait_for(lambda: (jobs_in_flight(out) or [None])[0], what="a job in flight")
            wait_for(lambda: self.job_running(job_id(out, d)), what="the job to start")
            subprocess.run(["scancel", job_id(out, d)], env=self.env, check=True, timeout=30)
            stdout, stderr = coordinator.communicate(timeout=120)
        finally:
            if coordinator.poll() is None:
                coordinator.kill()
                coordinator.wait()
        self.assertEqual(coordinator.returncode, 0, stderr)
        self.assertIn("cancelled 1", stdout)
        child = rows(out)[1]
        self.assertEqual(child[2], "cancelled")
        self.assertIn("cancelled outside crucible", child[5])
        self.assertIn("outcome: cancelled", self.crucible("show", out, "1", check=0).stdout)

    def test_ctrl_c_cancels_the_jobs(self):
        out = os.path.join(self.dir, "run")
        self.set_delay(120)
        coordinator = subprocess.Popen(
            [CRUCIBLE, "run", self.problem, "--out", out, "--executor", "slurm", "-n", "4", "-j", "2"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.env)
        try:
            wait_for(lambda: len(jobs_in_flight(out)) >= 2, what="two jobs in flight")
            ids = [job_id(out, d) for d in jobs_in_flight(out)]
            coordinator.send_signal(signal.SIGINT)
            coordinator.communicate(timeout=60)
        finally:
            if coordinator.poll() is None:
                coordinator.kill()
                coordinator.wait()
        self.assertEqual(coordinator.returncode, 130)
        for i in ids:
            wait_for(lambda: not self.job_alive(i), timeout=60, what=f"job {i} to end")
        for d in job_dirs(out):
            self.assertTrue(os.path.exists(os.path.join(out, "slurm", d, "cancelled")), d)


class FakeSlurmTest(SlurmCases, unittest.TestCase):
    def setUp(self):
        self.state = tempfile.mkdtemp(prefix="crucible-fake-slurm-")
        self.env = dict(os.environ, PATH=FAKE_SLURM + ":" + os.environ["PATH"],
                        FAKE_SLURM_STATE=self.state)
        super().setUp()

    def tearDown(self):
        super().tearDown()
        # Kill what the fake left running (jobs are process groups).
        for name in os.listdir(self.state):
            if name.endswith(".pid"):
                try:
                    os.killpg(int(read(os.path.join(self.state, name))), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
        shutil.rmtree(self.state, ignore_errors=True)

    def state_of(self, i):
        path = os.path.join(self.state, f"{i}.state")
        return read(path).strip() if os.path.exists(path) else ""

    def job_alive(self, i):
        return self.state_of(i) in ("PENDING", "RUNNING")

    def job_running(self, i):
        return self.state_of(i) == "RUNNING"

    def test_slurm_kills_become_outcomes(self):
        out = os.path.join(self.dir, "run")
        with open(os.path.join(self.state, "mode"), "w") as f:
            f.write("oom")
        self.crucible("run", self.problem, "--out", out, "--executor", "slurm", "-n", "2", "-j", "1",
                      check=0)
        self.assertEqual([r[2] for r in rows(out)[1:]], ["memory_limit", "memory_limit"])
        self.assertIn("OUT_OF_MEMORY", rows(out)[1][5])


    def test_job_signalled_with_its_evaluator_writes_no_result(self):
        # At a time limit or scancel, Slurm sends SIGTERM to every process of
        # the job (proctrack/linuxproc: the job's process tree), so the
        # evaluator dies of it as eval-job is told to stop. The job must write
        # no result either way, for the coordinator to record Slurm's verdict
        # (RealSlurmTest.test_job_killed_at_its_time_limit). The race was lost
        # in most tries, not all: four tries, in both orders of the kills.
        out = os.path.join(self.dir, "run")
        self.set_delay(120)
        with open(os.path.join(self.state, "mode"), "w") as f:
            f.write("pending")  # the job dir is written, eval-job is run here
        coordinator = subprocess.Popen(
            [CRUCIBLE, "run", self.problem, "--out", out, "--executor", "slurm", "-n", "1", "-j", "1"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=self.env)
        try:
            d = wait_for(lambda: (jobs_in_flight(out) or [None])[0], what="a job submitted")
        finally:
            coordinator.kill()  # SIGKILL: no `cancelled` mark, the job dir stays usable
            coordinator.wait()
        job = os.path.join(out, "slurm", d)
        for attempt, children_first in enumerate((False, True, False, True)):
            job_proc = subprocess.Popen([CRUCIBLE, "eval-job", job], stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, env=self.env)
            try:
                wait_for(lambda: any("slow_evaluate.py" in cmdline(p)
                                     for p in process_tree(job_proc.pid)),
                         what="the evaluator to run")
                for p in sorted(process_tree(job_proc.pid), reverse=children_first):
                    try:
                        os.kill(p, signal.SIGTERM)
                    except ProcessLookupError:
                        pass
                _, stderr = job_proc.communicate(timeout=60)
            finally:
                if job_proc.poll() is None:
                    job_proc.kill()
                    job_proc.wait()
            result = os.path.join(job, "result.json")
            self.assertFalse(os.path.exists(result),
                             f"try {attempt}: " + (read(result) if os.path.exists(result) else ""))
            self.assertEqual(job_proc.returncode, 130, f"try {attempt}: {stderr}")

    def test_unreachable_cluster_is_bad_input(self):
        out = os.path.join(self.dir, "run")
        open(os.path.join(self.state, "squeue_down"), "w").close()
        p = self.crucible("run", self.problem, "--out", out, "--executor", "slurm", "-n", "2",
                          check=2)
        self.assertIn("the Slurm cluster does not answer", p.stderr)
        self.assertIn("Unable to contact slurm controller", p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertFalse(os.path.exists(out))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RealSlurmTest(SlurmCases, unittest.TestCase):
    cluster_dir = None
    conf = None

    @classmethod
    def setUpClass(cls):
        cls.conf = os.environ.get("CRUCIBLE_SLURM_CONF")
        if cls.conf:
            return
        if shutil.which("slurmctld") is None:
            raise unittest.SkipTest("Slurm is not installed (apt-get install slurm-wlm munge)")
        cls.cluster_dir = tempfile.mkdtemp(prefix="crucible-slurm-cluster-")
        env = dict(os.environ, SLURM_LOCAL_CTLD_PORT=str(free_port()),
                   SLURM_LOCAL_SLURMD_PORT=str(free_port()))
        p = subprocess.run([SLURM_LOCAL, "start", cls.cluster_dir], capture_output=True, text=True,
                           env=env, timeout=60)
        if p.returncode != 0:
            subprocess.run([SLURM_LOCAL, "stop", cls.cluster_dir], capture_output=True, timeout=60)
            raise unittest.SkipTest(f"the local Slurm cluster cannot start here: "
                                    f"{p.stderr.strip() or p.stdout.strip()}")
        cls.conf = os.path.join(cls.cluster_dir, "slurm.conf")

    @classmethod
    def tearDownClass(cls):
        if cls.cluster_dir:
            subprocess.run([SLURM_LOCAL, "stop", cls.cluster_dir], capture_output=True, timeout=60)
            shutil.rmtree(cls.cluster_dir, ignore_errors=True)

    def setUp(self):
        self.env = dict(os.environ, SLURM_CONF=self.conf)
        super().setUp()

    def squeue_state(self, i):
        p = subprocess.run(["squeue", "-h", "--states=all", "-j", i, "-o", "%T"],
                           capture_output=True, text=True, env=self.env, timeout=30)
        return p.stdout.strip()

    def job_alive(self, i):
        return self.squeue_state(i) in ("PENDING", "RUNNING", "CONFIGURING", "COMPLETING")

    def job_running(self, i):
        return self.squeue_state(i) == "RUNNING"

    def test_job_killed_at_its_time_limit(self):
        # Slurm counts time limits in minutes and checks them about every 30 s.
        out = os.path.join(self.dir, "run")
        self.set_delay(400)
        yaml_path = os.path.join(self.problem, "problem.yaml")
        text = read(yaml_path).replace("timeout: 10", "timeout: 600")
        with open(yaml_path, "w") as f:
            f.write(text + "  time: \"1\"\n")
        p = self.crucible("run", self.problem, "--out", out, "--executor", "slurm", "-n", "1", "-j",
                          "1", check=0, timeout=400)
        child = rows(out)[1]
        self.assertEqual(child[2], "timeout", child)
        self.assertIn("time limit (TIMEOUT)", child[5])
        self.assertIn("timeout 1", p.stdout)


if __name__ == "__main__":
    CRUCIBLE = os.path.abspath(sys.argv.pop(1))
    os.environ["PATH"] = "/usr/bin:/bin:" + os.environ.get("PATH", "")
    unittest.main(verbosity=2)
