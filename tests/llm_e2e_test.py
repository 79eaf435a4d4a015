#!/usr/bin/env python3
"""End-to-end tests of the LLM proposer: the crucible binary against the
scripted chat-completions server (tests/llm_test_server.py) on 127.0.0.1.

Usage: llm_e2e_test.py PATH_TO_CRUCIBLE [unittest args]
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

from local_server import db_rows, read, start_server

CRUCIBLE = None
HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "llm_test_server.py")
KEY = "sk-test-S3CRET-0123456789abcdef"

PROGRAM = textwrap.dedent("""\
    import math  # fixed header
    # EVOLVE-BLOCK-START
    C = 0.0
    # EVOLVE-BLOCK-END
    """)

EVALUATE = textwrap.dedent("""\
    import json, os, sys
    ns = {}
    exec(open(os.path.join(sys.argv[1], "program.py")).read(), ns)
    c = float(ns["C"])
    print(json.dumps({"score": -abs(c - 10.0), "valid": True, "metrics": {"c": c},
                      "feedback": f"C = {c}; the best C is somewhere above it"}))
    """)

BUMP = {"kind": "bump", "pattern": r"^C = ([-0-9.e]+)", "step": 1.0}


def problem_yaml(llm):
    return textwrap.dedent("""\
        name: bump
        files: [program.py]
        evaluator: {command: python3 evaluate.py, timeout: 20}
        archive: {islands: 1}
        budget: {evaluations: 10}
        """) + "llm:\n" + textwrap.indent(llm, "  ")


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


class Base(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="crucible-llm-e2e-")
        self.dir = self.tmp.name
        self.server = None

    def tearDown(self):
        if self.server:
            self.server.kill()
            self.server.wait()
        self.tmp.cleanup()

    def start_server(self, script):
        path = os.path.join(self.dir, "script.json")
        write(path, json.dumps(script))
        port_file = os.path.join(self.dir, "port")
        self.server_log = os.path.join(self.dir, "server.log")
        self.server, self.url = start_server(self, [SERVER, path, port_file, self.server_log],
                                             port_file, "test server")

    def make_problem(self, llm):
        d = os.path.join(self.dir, "problem")
        os.makedirs(d, exist_ok=True)
        write(os.path.join(d, "program.py"), PROGRAM)
        write(os.path.join(d, "evaluate.py"), EVALUATE)
        write(os.path.join(d, "prompt.md"), "Find the best constant C.\n")
        write(os.path.join(d, "problem.yaml"), problem_yaml(llm))
        return d

    def env(self, key=None):
        e = dict(os.environ)
        e["PATH"] = "/usr/bin:" + e.get("PATH", "")
        e["CRUCIBLE_LLM_BASE_URL"] = self.url
        e.pop("CRUCIBLE_LLM_MODEL", None)
        if key is None:
            e.pop("OPENAI_API_KEY", None)
        else:
            e["OPENAI_API_KEY"] = key
        return e

    def crucible(self, *args, key=None, check=None, timeout=180):
        p = subprocess.run([CRUCIBLE, *args], capture_output=True, text=True, timeout=timeout,
                           env=self.env(key))
        if check is not None and p.returncode != check:
            raise AssertionError(f"crucible {' '.join(args)} exited {p.returncode}\n"
                                 f"stdout:\n{p.stdout}\nstderr:\n{p.stderr}")
        return p


class ImproveTest(Base):
    def test_scripted_model_improves_and_best_and_show_report_it(self):
        self.start_server({"cycle": [BUMP]})
        problem = self.make_problem("models: [{name: scripted, price: {input: 1.0, output: 2.0}}]\n"
                                    "modes: {diff: 1, rewrite: 0, crossover: 0}\n")
        out = os.path.join(self.dir, "run")
        p = self.crucible("run", problem, "--out", out, "--evaluations", "6", "--jobs", "1",
                          "--llm-concurrency", "3", check=0)
        self.assertIn("proposer: llm (scripted at " + self.url, p.stderr)
        self.assertIn("stopped: evaluation budget of 6 reached", p.stdout)
        m = re.search(r"best score: ([0-9.e-]+) \(candidate #(\d+)\); initial program ([0-9.e-]+)",
                      p.stdout)
        self.assertIsNotNone(m, p.stdout)
        self.assertGreater(float(m.group(1)), float(m.group(3)))
        self.assertRegex(p.stdout, r"proposer: llm [0-9.]+k? tok \$[0-9.]+, \d+ calls \(\d+ applied\), diff \d+")
        best = self.crucible("best", out, check=0)
        self.assertIn(f"(candidate #{m.group(2)}", best.stdout)
        show = self.crucible("show", out, m.group(2), check=0)
        self.assertIn("proposer: llm (diff)", show.stdout)
        self.assertRegex(show.stdout, r"\n-C = [0-9.]+\n\+C = [0-9.]+\n")
        self.assertIn('"model":"scripted"', show.stdout)
        # Every applied call names its candidate, whose detail lists the call.
        calls = db_rows(out, "SELECT id, candidate_id, outcome, prompt, prompt_tokens, cost FROM llm_calls")
        self.assertGreaterEqual(len(calls), 6)
        details = dict(db_rows(out, "SELECT id, proposal_detail FROM candidates WHERE proposer = 'llm'"))
        applied = 0
        for cid, cand, outcome, prompt, ptok, cost in calls:
            # The scripted model proposes the same bump to siblings: the
            # later ones are near-copies and are re-asked (novelty_rejected).
            self.assertIn(outcome, ("applied", "novelty_rejected"))
            if outcome == "applied":
                applied += 1
                self.assertIn(cid, json.loads(details[cand])["calls"])
            else:
                self.assertIsNone(cand)
            msgs = json.loads(prompt)
            self.assertEqual([x["role"] for x in msgs][:2], ["system", "user"])
            self.assertIn("Find the best constant C.", msgs[0]["content"])
            self.assertGreater(ptok, 0)
            self.assertGreater(cost, 0)
        self.assertGreaterEqual(applied, 6)
        self.assertEqual(db_rows(out, "SELECT value FROM meta WHERE key = 'schema_version'")[0][0], "5")


    def test_crossover_answers_are_applied(self):
        self.start_server({"cycle": [BUMP]})
        problem = self.make_problem("models: [{name: x}]\n"
                                    "modes: {diff: 0.3, rewrite: 0, crossover: 0.7}\n")
        out = os.path.join(self.dir, "run")
        self.crucible("run", problem, "--out", out, "--evaluations", "8", "--jobs", "1",
                      "--llm-concurrency", "1", check=0)
        rows = db_rows(out, "SELECT prompt FROM llm_calls WHERE mode = 'crossover' AND outcome = 'applied'")
        self.assertTrue(rows, db_rows(out, "SELECT mode, outcome, error FROM llm_calls"))
        self.assertIn("# Program B", json.loads(rows[0][0])[1]["content"])
        modes = {json.loads(d)["mode"] for (d,) in db_rows(
            out, "SELECT proposal_detail FROM candidates WHERE proposer = 'llm' AND outcome = 'ok'")}
        self.assertIn("crossover", modes)


class GarbageTest(Base):
    def test_thirty_percent_garbage_completes_with_every_call_recorded(self):
        garbage = [{"kind": "malformed"}, {"kind": "status", "status": 429, "retry_after": "0"},
                   {"kind": "slow", "delay": 3, "then": "bump", "pattern": BUMP["pattern"]},
                   dict(BUMP, **{"as": "nomatch"}), {"kind": "fixed_edit"},
                   {"kind": "status", "status": 500}, {"kind": "truncated"},
                   {"kind": "no_choices"}, {"kind": "content", "content": "no edit at all"}]
        good = [BUMP, BUMP]
        cycle = []
        for i in range(30):  # 30% garbage, interleaved
            cycle.append(garbage[i % len(garbage)] if i % 10 in (2, 5, 8) else good[i % 2])
        self.start_server({"cycle": cycle})
        problem = self.make_problem(
            "models: [{name: flaky}]\n"
            "modes: {diff: 0.5, rewrite: 0.5, crossover: 0}\n"
            "timeout: 1\nretries: 1\nbackoff: {initial: 0.01, max: 0.05}\nmax_reasks: 3\n"
            "novelty: {threshold: 1.0}\n")
        out = os.path.join(self.dir, "run")
        p = self.crucible("run", problem, "--out", out, "--evaluations", "15", "--jobs", "2",
                          "--llm-concurrency", "4", check=0)
        self.assertIn("stopped: evaluation budget of 15 reached", p.stdout)
        served = len(read(self.server_log).splitlines())
        calls = db_rows(out, "SELECT id, candidate_id, outcome, error FROM llm_calls ORDER BY id")
        allowed = {"applied", "patch_failed", "empty", "novelty_rejected", "http_error", "timeout",
                   "rate_limited", "malformed_response", "budget_exhausted", "truncated", "note"}
        self.assertEqual([c[0] for c in calls], list(range(1, len(calls) + 1)))
        for cid, cand, outcome, error in calls:
            self.assertIn(outcome, allowed)
            self.assertEqual(cand is not None, outcome == "applied", (outcome, error))
            if outcome != "applied":
                self.assertTrue(error, outcome)
        outcomes = {c[2] for c in calls}
        self.assertIn("patch_failed", outcomes)
        self.assertTrue(outcomes & {"malformed_response", "http_error", "timeout"}, outcomes)
        # Every HTTP request is a recorded call or one of its retries.
        self.assertGreaterEqual(served, len(calls))
        # The fixed header line was never changed by any candidate.
        refused = [c for c in calls if "refused" in c[3]]
        self.assertTrue(refused, "the fixed-region edit was not refused")
        for (program,) in db_rows(out, "SELECT program FROM candidates"):
            files = json.loads(program)
            if not files:  # a proposal that failed has no program
                continue
            text = files[0]["content"]
            self.assertTrue(text.startswith("import math  # fixed header\n# EVOLVE-BLOCK-START\n"), text)
            self.assertNotIn("# changed", text)


class BudgetTest(Base):
    def test_token_budget_stops_the_run_and_survives_resume(self):
        self.start_server({"cycle": [dict(BUMP, prompt_tokens=100, completion_tokens=50)]})
        # max_tokens is never cut to fit what is left: a request is sent
        # only when its prompt (about 800 tokens, estimated) and its whole
        # max_tokens fit, so the budget is 3000 (it was 1000 while max_tokens
        # was cut down near the end).
        problem = self.make_problem("models: [{name: m, max_tokens: 200}]\n"
                                    "modes: {diff: 1, rewrite: 0, crossover: 0}\n"
                                    "concurrency: 1\nadaptive: true\nbudget: {tokens: 3000}\n")
        out = os.path.join(self.dir, "run")
        p = self.crucible("run", problem, "--out", out, "--evaluations", "100", "--jobs", "1", check=0)
        self.assertRegex(p.stdout, r"stopped: the LLM token budget of 3000 is spent \((\d+) used")
        used = db_rows(out, "SELECT sum(prompt_tokens + completion_tokens) FROM llm_calls")[0][0]
        # Calls of 150 tokens; no request starts unless even its longest reply
        # (prompt estimated from its length) fits in what is left.
        self.assertLessEqual(used, 3000)
        self.assertGreaterEqual(used, 300)
        self.assertIn(f"({used} used", p.stdout)
        self.assertEqual(db_rows(out, "SELECT outcome FROM llm_calls ORDER BY id DESC LIMIT 1")[0][0],
                         "budget_exhausted")
        state = json.loads(db_rows(out, "SELECT value FROM state WHERE key = 'llm'")[0][0])
        self.assertEqual(state["prompt_tokens"] + state["completion_tokens"], used)
        pulls = state["model_bandit"]["m"]["n"]
        self.assertGreater(pulls, 0)
        # Resume: the budget still holds. A fresh ask may be shorter than the
        # re-ask that could not fit when the first session stopped, so it may
        # still be sent; every request that reaches the server is recorded,
        # and the total never passes the budget.
        p = self.crucible("run", "--resume", out, check=0)
        self.assertIn("token budget of 3000 is spent", p.stdout)
        sent = db_rows(out, "SELECT count(*) FROM llm_calls WHERE outcome != 'budget_exhausted'")[0][0]
        self.assertEqual(len(read(self.server_log).splitlines()), sent)
        total = db_rows(out, "SELECT sum(prompt_tokens + completion_tokens) FROM llm_calls")[0][0]
        self.assertLessEqual(total, 3000)
        state2 = json.loads(db_rows(out, "SELECT value FROM state WHERE key = 'llm'")[0][0])
        self.assertGreaterEqual(state2["model_bandit"]["m"]["n"], pulls)
        self.assertGreater(state2["next_call_id"], state["next_call_id"] - 1)

    def test_resume_keeps_bandit_state_and_call_ids(self):
        self.start_server({"cycle": [BUMP]})
        problem = self.make_problem("models: [{name: a}, {name: b}]\nadaptive: true\n"
                                    "modes: {diff: 0.5, rewrite: 0.5, crossover: 0}\n")
        out = os.path.join(self.dir, "run")
        self.crucible("run", problem, "--out", out, "--evaluations", "5", "--jobs", "1",
                      "--llm-concurrency", "1", check=0)
        s1 = json.loads(db_rows(out, "SELECT value FROM state WHERE key = 'llm'")[0][0])
        n1 = sum(v["n"] for v in s1["model_bandit"].values())
        self.assertGreater(n1, 0)
        self.crucible("run", "--resume", out, "--evaluations", "9", check=0)
        s2 = json.loads(db_rows(out, "SELECT value FROM state WHERE key = 'llm'")[0][0])
        n2 = sum(v["n"] for v in s2["model_bandit"].values())
        self.assertGreater(n2, n1)
        self.assertGreater(s2["prompt_tokens"], s1["prompt_tokens"])
        ids = [r[0] for r in db_rows(out, "SELECT id FROM llm_calls ORDER BY id")]
        self.assertEqual(ids, list(range(1, len(ids) + 1)))


class KeySafetyTest(Base):
    def test_the_api_key_never_appears_in_the_run_directory_or_output(self):
        self.start_server({"require_key": KEY, "cycle": [BUMP, {"kind": "status", "status": 500}]})
        problem = self.make_problem("models: [{name: m}]\nmodes: {diff: 1, rewrite: 0, crossover: 0}\n"
                                    "retries: 0\n")
        out = os.path.join(self.dir, "run")
        p = self.crucible("run", problem, "--out", out, "--evaluations", "4", "--jobs", "1",
                          key=KEY, check=0)
        log = [json.loads(l) for l in read(self.server_log).splitlines()]
        self.assertTrue(all(x["authorization_ok"] for x in log))
        # A wrong key: the run stops with an error naming model and endpoint;
        # the server echoes the key it got, crucible must not.
        wrong = KEY[:-4] + "zzzz"
        out2 = os.path.join(self.dir, "run2")
        p2 = self.crucible("run", problem, "--out", out2, "--evaluations", "4", key=wrong)
        self.assertEqual(p2.returncode, 1, p2.stderr)  # a failure while running
        self.assertIn("HTTP 401 (check the API key variable)", p2.stdout)
        self.assertIn(f"model 'm' at {self.url}/chat/completions", p2.stdout)
        for secret in (KEY, wrong, KEY[:12]):
            for text in (p.stdout, p.stderr, p2.stdout, p2.stderr):
                self.assertNotIn(secret, text)
            for d in (out, out2):
                for root, _, files in os.walk(d):
                    for f in files:
                        with open(os.path.join(root, f), "rb") as fh:
                            data = fh.read()
                        self.assertNotIn(secret.encode(), data, os.path.join(root, f))


class NoveltyJudgeTest(Base):
    """ShinkaEvolve's LLM judge of near-copies, against a scripted judge."""

    def make_long_problem(self, llm):
        # Sixty fixed-looking lines in the evolvable block: a child that
        # changes C alone is over a 3-gram threshold of 0.9 against its parent.
        d = self.make_problem(llm)
        block = "".join(f"v{i} = {i} * 2\n" for i in range(60))
        write(os.path.join(d, "program.py"), PROGRAM.replace("C = 0.0\n", block + "C = 0.0\n"))
        return d

    def judge_calls(self, out):
        return db_rows(out, "SELECT id, model, outcome, prompt, prompt_tokens, completion_tokens "
                            "FROM llm_calls WHERE mode = 'novelty_judge' ORDER BY id")

    def test_verdicts_decide_and_a_failing_judge_keeps_the_child(self):
        same, different = "Only C moved.\nVERDICT: SAME", "A new constant.\nVERDICT: DIFFERENT"
        self.start_server({"cycle": [BUMP], "judge": [
            {"kind": "content", "content": same},
            {"kind": "content", "content": "It looks similar, hard to say."},  # no verdict
            {"kind": "status", "status": 500},                                 # the judge fails
            {"kind": "content", "content": different}]})
        problem = self.make_long_problem(
            "models: [{name: scripted}, {name: judge, weight: 0}]\n"
            "modes: {diff: 1, rewrite: 0, crossover: 0}\nretries: 0\n"
            "novelty: {threshold: 0.9, judge: true, judge_model: judge}\n")
        out = os.path.join(self.dir, "run")
        p = self.crucible("run", problem, "--out", out, "--evaluations", "5", "--jobs", "1",
                          "--llm-concurrency", "1", check=0)
        self.assertIn("stopped: evaluation budget of 5 reached", p.stdout)
        judged = self.judge_calls(out)
        outcomes = [o for _, _, o, _, _, _ in judged]
        # SAME refuses the child (re-asked); no verdict and a failed request
        # keep it; then DIFFERENT lets every later near-copy through.
        self.assertEqual(outcomes[:4], ["not_novel", "malformed_response", "http_error", "novel"])
        self.assertTrue(all(o == "novel" for o in outcomes[4:]), outcomes)
        self.assertTrue(all(m == "judge" for _, m, _, _, _, _ in judged))
        user = json.loads(judged[0][3])[1]["content"]
        self.assertIn("# The existing program (#0)", user)
        self.assertIn("% similar", user)
        self.assertNotIn("import math", user)  # evolvable code only
        # The refused child was re-asked with the judge's reason.
        rejected = db_rows(out, "SELECT error FROM llm_calls WHERE outcome = 'novelty_rejected'")
        self.assertTrue(any("the novelty judge found no meaningful difference" in e for (e,) in rejected),
                        rejected)
        # Every near-copy evaluated: the run improved, and each child lists its judge calls.
        details = [json.loads(d) for (d,) in db_rows(
            out, "SELECT proposal_detail FROM candidates WHERE proposer = 'llm' AND outcome = 'ok'")]
        self.assertEqual(len(details), 5)
        verdicts = [v["verdict"] for d in details for v in d.get("novelty_judge", [])]
        self.assertEqual(verdicts[:4], ["same", "none", "none", "different"])
        for d in details:
            for v in d["novelty_judge"]:
                self.assertIn(v["call"], d["calls"])
        # Judge tokens are charged to the run's budget like any call.
        state = json.loads(db_rows(out, "SELECT value FROM state WHERE key = 'llm'")[0][0])
        total = db_rows(out, "SELECT sum(prompt_tokens) + sum(completion_tokens) FROM llm_calls")[0][0]
        self.assertEqual(state["prompt_tokens"] + state["completion_tokens"], total)
        self.assertGreater(sum(pt for _, _, _, _, pt, _ in judged if pt), 0)

    def test_off_by_default_and_identical_programs_are_never_judged(self):
        self.start_server({"cycle": [BUMP], "judge": [{"kind": "content", "content": "VERDICT: DIFFERENT"}]})
        problem = self.make_long_problem("models: [scripted]\nmodes: {diff: 1, rewrite: 0, crossover: 0}\n"
                                         "novelty: {threshold: 0.9}\nmax_reasks: 1\n")
        out = os.path.join(self.dir, "run")
        self.crucible("run", problem, "--out", out, "--evaluations", "3", "--jobs", "1",
                      "--llm-concurrency", "1", "--time", "20", check=None)
        self.assertEqual(self.judge_calls(out), [])
        # With the 3-gram threshold alone every one-constant child is a near-copy.
        self.assertEqual(db_rows(out, "SELECT count(*) FROM candidates WHERE outcome = 'ok' "
                                      "AND proposer = 'llm'")[0][0], 0)


class TuningTest(Base):
    def test_the_model_sees_a_tuned_childs_values_in_later_prompts(self):
        # `tuning:` around the llm proposer (docs/search.md, "Constant
        # tuning"): the initial program's C = 4.0 is tuned by the inner
        # CMA-ES through the run's own evaluator, and the tuned child's value
        # is what later prompts show (its code as the parent's, and the
        # tuning in the tuned-from program's history).
        self.start_server({"cycle": [BUMP]})
        problem = self.make_problem("models: [{name: scripted}]\n"
                                    "modes: {diff: 1, rewrite: 0, crossover: 0}\n")
        with open(os.path.join(problem, "program.py")) as f:
            text = f.read()
        write(os.path.join(problem, "program.py"), text.replace("C = 0.0", "C = 4.0"))
        with open(os.path.join(problem, "problem.yaml"), "a") as f:
            f.write("tuning: {trigger: island_best, budget_share: 1.0, evaluations: 6, population: 6}\n")
        out = os.path.join(self.dir, "run")
        p = self.crucible("run", problem, "--out", out, "--evaluations", "16", "--jobs", "1",
                          "--llm-concurrency", "1", "--deterministic", check=0)
        self.assertRegex(p.stdout, r"tuned \d+ \(\d+ evals\)")
        tuned = db_rows(out, "SELECT id, parent_id, proposal_detail, score FROM candidates "
                             "WHERE proposer = 'tune' AND outcome = 'ok' ORDER BY id")
        self.assertTrue(tuned, db_rows(out, "SELECT id, proposer, outcome FROM candidates"))
        tid, tparent, detail, tscore = tuned[0]
        detail = json.loads(detail)
        self.assertEqual(detail["tuned_from"], tparent)
        self.assertEqual(detail["evaluations"], 6)
        change = detail["changes"][0]
        self.assertEqual(change["from"], "4.0")
        to = change["to"]
        self.assertNotEqual(to, "4.0")
        self.assertAlmostEqual(tscore, -abs(float(to) - 10.0), places=6)
        # The model's prompts show the tuned value both ways: as the current
        # program's code (the tuned child as the parent) and in the tuned-from
        # program's history (the tuning as one of its children's changes).
        prompts = [json.loads(m)[1]["content"] for (m,) in db_rows(
            out, "SELECT prompt FROM llm_calls ORDER BY id")]
        every = "\n----\n".join(prompts)
        self.assertTrue([m for m in prompts if f"\nC = {to}\n" in m],
                        f"no prompt shows the tuned program's code (C = {to}):\n{every}")
        self.assertTrue([m for m in prompts if f"tuned constants: line 3 4.0 -> {to}" in m],
                        f"no prompt shows the tuning in the history (4.0 -> {to}):\n{every}")
        # The model answered a prompt showing the tuned code: its edit (the
        # bump of the value it was shown) made a child of the tuned program.
        children = db_rows(out, f"SELECT id FROM candidates WHERE parent_id = {tid} AND proposer = 'llm'")
        self.assertTrue(children, db_rows(out, "SELECT id, parent_id, proposer, outcome FROM candidates"))
        show = self.crucible("show", out, str(children[0][0]), check=0).stdout
        self.assertIn(f"\n-C = {to}\n+C = {float(to) + 1.0:.6g}\n", show)


class BadInputTest(Base):
    def test_llm_proposer_without_endpoint_is_bad_input(self):
        self.url = ""
        problem = self.make_problem("models: [{name: m}]\n")
        e = self.env()
        e.pop("CRUCIBLE_LLM_BASE_URL")
        p = subprocess.run([CRUCIBLE, "run", problem, "--proposer", "llm", "--out",
                            os.path.join(self.dir, "r")], capture_output=True, text=True, env=e)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("the llm proposer needs an endpoint", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "r")))


if __name__ == "__main__":
    CRUCIBLE = os.path.abspath(sys.argv.pop(1))
    unittest.main()
