#!/usr/bin/env python3
"""End-to-end tests of the LLM proposer against servers shaped like vLLM,
llama.cpp's server, Ollama, the OpenAI API, DeepSeek's API and an
OpenAI-compatible proxy (tests/llm_shapes_server.py), on 127.0.0.1.

Usage: llm_shapes_test.py PATH_TO_CRUCIBLE [unittest args]
"""
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

from local_server import read, start_server
from local_server import db_rows as rows

CRUCIBLE = None
HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "llm_shapes_server.py")
KEY = "sk-shape-T0PSECRET-0123456789"
BUMP = {"kind": "bump", "pattern": r"^C = ([-0-9.e]+)", "step": 1.0}

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
                      "feedback": f"C = {c}", "artifacts": {"log.txt": "detail " * 400}}))
    """)


class Shape(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="crucible-shapes-")
        self.dir = self.tmp.name
        self.server = None

    def tearDown(self):
        if self.server:
            self.server.kill()
            self.server.wait()
        self.tmp.cleanup()

    def serve(self, shape, **cfg):
        path = os.path.join(self.dir, "cfg.json")
        with open(path, "w") as f:
            json.dump(cfg, f)
        port_file = os.path.join(self.dir, "port")
        self.log = os.path.join(self.dir, "server.log")
        self.server, self.url = start_server(self, [SERVER, shape, path, port_file, self.log],
                                             port_file, "shapes server")

    def requests(self):
        return [json.loads(l) for l in read(self.log).splitlines()] if os.path.exists(self.log) else []

    def run_crucible(self, llm, evaluations=6, key=None, extra=(), timeout=120):
        d = os.path.join(self.dir, "problem")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "program.py"), "w") as f:
            f.write(PROGRAM)
        with open(os.path.join(d, "evaluate.py"), "w") as f:
            f.write(EVALUATE)
        with open(os.path.join(d, "problem.yaml"), "w") as f:
            f.write("name: shapes\nfiles: [program.py]\n"
                    "evaluator: {command: python3 evaluate.py, timeout: 20}\n"
                    "archive: {islands: 1}\n"
                    "llm:\n" + textwrap.indent(llm, "  "))
        out = os.path.join(self.dir, "run")
        env = dict(os.environ)
        env["PATH"] = "/usr/bin:" + env.get("PATH", "")
        env["CRUCIBLE_LLM_BASE_URL"] = self.url
        env.pop("CRUCIBLE_LLM_MODEL", None)
        env.pop("OPENAI_API_KEY", None)
        if key:
            env["OPENAI_API_KEY"] = key
        p = subprocess.run([CRUCIBLE, "run", d, "--out", out, "--evaluations", str(evaluations),
                            "--jobs", "2", *extra], capture_output=True, text=True, env=env,
                           timeout=timeout)
        self.out = out
        return p

    def assert_improves_without_drafts(self, p, reasoning_visible=True):
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        m = re.search(r"best score: ([0-9.e-]+) \(candidate #(\d+)\); initial program ([0-9.e-]+)",
                      p.stdout)
        self.assertIsNotNone(m, p.stdout)
        self.assertGreater(float(m.group(1)), float(m.group(3)))
        # The drafts the model rejected in its reasoning (C = -999) are
        # never applied, whatever the mode.
        for (program,) in rows(self.out, "SELECT program FROM candidates"):
            self.assertNotIn("-999", program)
        calls = rows(self.out, "SELECT outcome, response FROM llm_calls")
        self.assertTrue(any(o == "applied" for o, _ in calls), calls)
        if reasoning_visible:  # kept for inspection, apart from the answer
            self.assertTrue(any(r.startswith("<think>") and "-999" in r for o, r in calls
                                if o == "applied"))

    def assert_stops(self, p, *words, max_requests=8):
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("stopped:", p.stdout)
        for w in words:
            self.assertIn(w, p.stdout)
        self.assertLessEqual(len(self.requests()), max_requests)


MODES = "modes: {diff: 0.5, rewrite: 0.5, crossover: 0}\n"


class VllmTest(Shape):
    def test_reasoning_model_streams_and_improves(self):
        self.serve("vllm", models=["qwen3"], cycle=[BUMP])
        p = self.run_crucible("models: [{name: qwen3, max_tokens: 1000}]\n" + MODES + "stream: true\n")
        self.assert_improves_without_drafts(p)
        self.assertTrue(all(r["stream"] for r in self.requests()))

    def test_adaptive_choice_tries_every_model_mode_pair(self):
        # One bandit over (model, mode) pairs: not only the lockstep pairs
        # two bandits with the same reward would pick.
        self.serve("vllm", models=["a", "b"], cycle=[BUMP])
        p = self.run_crucible("models: [{name: a, max_tokens: 1000}, {name: b, max_tokens: 1000}]\n" +
                              MODES + "adaptive: true\nconcurrency: 1\n", evaluations=6)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        pairs = set(rows(self.out, "SELECT DISTINCT model, mode FROM llm_calls"))
        self.assertEqual(pairs, {("a", "diff"), ("a", "rewrite"), ("b", "diff"), ("b", "rewrite")})
        state = json.loads(rows(self.out, "SELECT value FROM state WHERE key = 'llm'")[0][0])
        self.assertEqual(set(state["joint_bandit"]),
                         {"a/diff", "a/rewrite", "a/crossover", "b/diff", "b/rewrite", "b/crossover"})

    def test_context_overflow_shrinks_the_prompt_and_goes_on(self):
        # The full prompt (with a long artifact) does not fit; inspirations,
        # history and artifact caps are shed until it does.
        self.serve("vllm", models=["qwen3"], n_ctx=1250, cycle=[BUMP])
        p = self.run_crucible("models: [{name: qwen3, max_tokens: 400}]\n" + MODES, evaluations=4)
        self.assert_improves_without_drafts(p)
        outcomes = [o for (o,) in rows(self.out, "SELECT outcome FROM llm_calls ORDER BY id")]
        self.assertIn("http_error", outcomes)
        errors = [e for (e,) in rows(self.out, "SELECT error FROM llm_calls WHERE error != ''")]
        self.assertTrue(any("does not fit the model's context" in e for e in errors), errors)
        state = json.loads(rows(self.out, "SELECT value FROM state WHERE key = 'llm'")[0][0])
        self.assertGreaterEqual(state["shrink_level"], 1)

    def test_unknown_model_stops_at_once(self):
        self.serve("vllm", models=["qwen3"])
        p = self.run_crucible("models: [{name: qwen9}]\n")
        self.assert_stops(p, "HTTP 404", "qwen9", "does not exist", max_requests=4)


class LlamaCppTest(Shape):
    def test_think_tags_in_content_never_reach_the_patch(self):
        self.serve("llamacpp", cycle=[BUMP])
        p = self.run_crucible("models: [{name: any, max_tokens: 1000}]\n" + MODES)
        self.assert_improves_without_drafts(p)

    def test_truncated_replies_are_never_applied(self):
        # Every other reply thinks past max_tokens: cut inside <think>.
        self.serve("llamacpp", cycle=[{"kind": "long"}, BUMP])
        p = self.run_crucible("models: [{name: any, max_tokens: 300}]\n" + MODES, evaluations=4)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        cut = rows(self.out, "SELECT candidate_id, error FROM llm_calls WHERE outcome = 'truncated'")
        self.assertTrue(cut)
        for cand, error in cut:
            self.assertIsNone(cand)
            self.assertIn("cut off", error)
        # The re-ask after a cut asks for a shorter answer.
        self.assertTrue(any("cut off" in r["user"] for r in self.requests()))

    def test_a_prompt_that_never_fits_stops_the_run(self):
        self.serve("llamacpp", n_ctx=50, cycle=[BUMP])
        p = self.run_crucible("models: [{name: any}]\n")
        # Up to 4 proposals in flight, each trying only the prompt sizes that
        # are smaller: the full one, and the one with the artifact cut short
        # (at the start there are no inspirations or history to drop; the
        # same prompt again would only overflow again).
        self.assert_stops(p, "does not fit", "exceeds the available context size", max_requests=8)


class OllamaTest(Shape):
    def test_reasoning_field_streamed_and_unknown_model(self):
        self.serve("ollama", models=["qwen3:8b"], cycle=[BUMP])
        p = self.run_crucible("models: [{name: 'qwen3:8b', max_tokens: 1000}]\n" + MODES +
                              "stream: true\n")
        self.assert_improves_without_drafts(p)
        usage = rows(self.out, "SELECT count(*) FROM llm_calls WHERE prompt_tokens IS NOT NULL")[0][0]
        self.assertGreater(usage, 0)  # include_usage asked for, and given

    def test_unknown_model(self):
        self.serve("ollama", models=["qwen3:8b"])
        p = self.run_crucible("models: [{name: 'llama9'}]\n")
        self.assert_stops(p, "HTTP 404", "not found, try pulling it first", max_requests=4)


class OpenAiTest(Shape):
    def test_wrong_key_stops_with_exit_1_and_never_shows_the_key(self):
        self.serve("openai", models=["gpt-x"], require_key=KEY)
        wrong = KEY[:-4] + "zzzz"
        p = self.run_crucible("models: [{name: gpt-x}]\n", key=wrong)
        self.assert_stops(p, "HTTP 401 (check the API key variable)", "gpt-x", max_requests=4)
        for text in (p.stdout, p.stderr):
            self.assertNotIn(wrong, text)
            self.assertNotIn(KEY[:12], text)

    def test_rate_limits_with_retry_after_ms_then_improves(self):
        self.serve("openai", models=["gpt-x"], require_key=KEY,
                   cycle=[{"kind": "error", "status": 429}, BUMP, BUMP])
        p = self.run_crucible("models: [{name: gpt-x, max_tokens: 1000}]\n" + MODES +
                              "backoff: {initial: 0.01, max: 2}\n", key=KEY)
        self.assert_improves_without_drafts(p, reasoning_visible=False)


class DeepSeekTest(Shape):
    def test_keep_alive_lines_and_reasoning_content(self):
        self.serve("deepseek", models=["deepseek-reasoner"], cycle=[BUMP])
        p = self.run_crucible("models: [{name: deepseek-reasoner, max_tokens: 1000}]\n" + MODES)
        self.assert_improves_without_drafts(p)

    def test_streamed_with_keep_alive_comments(self):
        self.serve("deepseek", models=["deepseek-reasoner"], cycle=[BUMP])
        p = self.run_crucible("models: [{name: deepseek-reasoner, max_tokens: 1000}]\n" + MODES +
                              "stream: true\n", evaluations=4)
        self.assert_improves_without_drafts(p)

    def test_scratchpad_notes_are_kept_shown_and_survive_resume(self):
        self.serve("deepseek", models=["deepseek-reasoner"], cycle=[BUMP])
        llm = ("models: [{name: deepseek-reasoner, max_tokens: 1000}]\n" + MODES +
               "concurrency: 1\nscratchpad: {every: 2}\n")
        p = self.run_crucible(llm, evaluations=5)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        notes = rows(self.out, "SELECT id, evaluated, call_id, note FROM llm_notes ORDER BY id")
        self.assertGreaterEqual(len(notes), 1, rows(self.out, "SELECT mode, outcome FROM llm_calls"))
        for _, evaluated, call_id, note in notes:
            self.assertEqual(evaluated % 2, 0)
            self.assertNotIn("-999", note)  # the reasoning is not the note
            mode, outcome = rows(self.out, f"SELECT mode, outcome FROM llm_calls WHERE id = {call_id}")[0]
            self.assertEqual((mode, outcome), ("scratchpad", "note"))
        # Later prompts show the note.
        self.assertTrue(any("# Notes from earlier in this run" in r["user"] for r in self.requests()))
        state = json.loads(rows(self.out, "SELECT value FROM state WHERE key = 'llm'")[0][0])
        self.assertEqual(state["scratchpad"], notes[-1][3])
        # Resume goes on with the note and its numbering.
        env = dict(os.environ, CRUCIBLE_LLM_BASE_URL=self.url, PATH="/usr/bin:" + os.environ["PATH"])
        r = subprocess.run([CRUCIBLE, "run", "--resume", self.out, "--evaluations", "9"],
                           capture_output=True, text=True, env=env, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        ids = [i for (i,) in rows(self.out, "SELECT id FROM llm_notes ORDER BY id")]
        self.assertGreater(len(ids), len(notes))
        self.assertEqual(ids, list(range(1, len(ids) + 1)))
        self.assert_dashboard_shows_notes()

    def assert_dashboard_shows_notes(self):
        """`crucible serve` and `crucible report` show the notes the run wrote."""
        stored = rows(self.out, "SELECT id, evaluated, model, call_id, note FROM llm_notes "
                                "ORDER BY id DESC")
        serve = subprocess.Popen([CRUCIBLE, "serve", self.out, "--port", "0"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            m = re.search(r"http://127\.0\.0\.1:(\d+)/", serve.stdout.readline())
            self.assertIsNotNone(m)
            c = http.client.HTTPConnection("127.0.0.1", int(m.group(1)), timeout=30)
            c.request("GET", "/api/runs/0/scratchpad")
            r = c.getresponse()
            self.assertEqual(r.status, 200)
            pad = json.loads(r.read())
            c.close()
        finally:
            serve.terminate()
            serve.communicate(timeout=30)
        self.assertEqual(pad["total"], len(stored))
        got = [(v["id"], v["evaluated"], v["model"], v["call_id"], v["note"]) for v in pad["versions"]]
        self.assertEqual(got, [tuple(s) for s in stored])
        self.assertEqual(pad["current"]["note"], stored[0][4])
        report = os.path.join(self.dir, "report.html")
        p = subprocess.run([CRUCIBLE, "report", self.out, "--out", report], capture_output=True,
                           text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        html = read(report)
        self.assertIn('"/api/runs/0/scratchpad"', html)
        # The newest note as the page's embedded JSON spells it (no "</" or "<!").
        embedded = json.dumps(stored[0][4])[1:-1].replace("</", "\\u003c/").replace("<!", "\\u003c!")
        self.assertIn(embedded, html)
        # And `crucible show RUN --scratchpad` prints the current note whole.
        p = subprocess.run([CRUCIBLE, "show", self.out, "--scratchpad"], capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(f"scratchpad version {stored[0][0]} of {len(stored)} (after {stored[0][1]} "
                      f"evaluated children, by model '{stored[0][2]}', llm_calls #{stored[0][3]}):\n"
                      f"{stored[0][4]}\n", p.stdout)

    def test_model_not_exist_is_a_400_that_stops(self):
        self.serve("deepseek", models=["deepseek-reasoner"])
        p = self.run_crucible("models: [{name: deepseek-r9}]\n")
        self.assert_stops(p, "Model Not Exist", max_requests=4)


class ProxyTest(Shape):
    def test_unasked_event_streams_without_usage_are_parsed_and_estimated(self):
        self.serve("proxy", models=["vendor/model"], cycle=[BUMP])
        p = self.run_crucible("models: [{name: vendor/model, max_tokens: 1000}]\n" + MODES)
        self.assert_improves_without_drafts(p)
        self.assertFalse(any(r["stream"] for r in self.requests()))
        state = json.loads(rows(self.out, "SELECT value FROM state WHERE key = 'llm'")[0][0])
        self.assertGreater(state["estimated_tokens"], 0)
        self.assertEqual(state["estimated_tokens"], state["prompt_tokens"] + state["completion_tokens"])
        details = [json.loads(d) for (d,) in rows(
            self.out, "SELECT proposal_detail FROM candidates WHERE proposer = 'llm' AND outcome = 'ok'")]
        self.assertTrue(details and all(d.get("tokens_estimated") for d in details), details)

    def test_token_budget_holds_without_usage_at_concurrency_16(self):
        self.serve("proxy", models=["vendor/model"], cycle=[BUMP])
        p = self.run_crucible("models: [{name: vendor/model, max_tokens: 500}]\n" + MODES +
                              "budget: {tokens: 12000}\nnovelty: {threshold: 1.0}\n",
                              evaluations=1000, extra=("--llm-concurrency", "16"))
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("the LLM token budget of 12000 is spent", p.stdout)
        state = json.loads(rows(self.out, "SELECT value FROM state WHERE key = 'llm'")[0][0])
        used = state["prompt_tokens"] + state["completion_tokens"]
        self.assertLessEqual(used, 12000)
        # Not cut short by what requests in flight merely reserved: the run
        # went on until the next request could really not fit.
        last = max(r["prompt_chars"] for r in self.requests()) // 3 + 500 + 64
        self.assertGreater(used, 12000 - last)

    def test_errors_in_200_bodies_and_http_date_retry_after(self):
        self.serve("proxy", models=["vendor/model"],
                   cycle=[{"kind": "error", "status": 429}, BUMP, {"kind": "error", "status": 502}, BUMP])
        p = self.run_crucible("models: [{name: vendor/model, max_tokens: 1000}]\n" + MODES +
                              "backoff: {initial: 0.01, max: 3}\n", evaluations=4)
        self.assert_improves_without_drafts(p)


class DeadEndpointTest(Shape):
    def test_a_closed_port_stops_within_a_few_calls(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()  # nothing listens there now
        self.url = f"http://127.0.0.1:{port}/v1"
        start = time.monotonic()
        p = self.run_crucible("models: [{name: m}]\nretries: 1\nbackoff: {initial: 0.05, max: 0.1}\n")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn(f"model 'm' at {self.url}/chat/completions", p.stdout)
        self.assertIn("(transport)", p.stdout)
        self.assertLess(time.monotonic() - start, 60)
        self.assertLessEqual(rows(self.out, "SELECT count(*) FROM llm_calls")[0][0], 8)


if __name__ == "__main__":
    CRUCIBLE = os.path.abspath(sys.argv.pop(1))
    unittest.main()
