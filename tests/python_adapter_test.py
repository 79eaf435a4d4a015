#!/usr/bin/env python3
"""Tests of crucible's Python side (python/): the OpenEvolve and ShinkaEvolve
adapter, its shims, and the run-access module.

Usage: python_adapter_test.py PATH_TO_CRUCIBLE [unittest args]

The adapter runs as crucible runs it, a child process with a clean
PYTHONPATH, so `from openevolve... import` must be served by the shim. The
OpenEvolve examples in tests/data/openevolve/ are copied unchanged; their
scores are compared with the task's own evaluate() called directly and
scored by OpenEvolve's own get_fitness_score (tests/data/openevolve/reference).
"""
import json
import math
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

from hostile_cases import HostileCases

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
PYTHON_ROOT = os.path.join(REPO, "python")
ADAPTER = os.path.join(PYTHON_ROOT, "crucible", "adapter.py")
OE_DATA = os.path.join(HERE, "data", "openevolve")
CRUCIBLE = None
PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(extra)
    return env


def adapt(fmt, evaluator, program, candidate_dir, *flags, cwd, seed="0"):
    p = subprocess.run([PY, ADAPTER, fmt, evaluator, program, *flags, candidate_dir],
                       cwd=cwd, capture_output=True, text=True, timeout=300,
                       env=clean_env(CRUCIBLE_SEED=seed))
    assert p.returncode == 0, p.stderr
    last = [line for line in p.stdout.splitlines() if line.strip()][-1]
    with open(os.path.join(cwd, "result.json")) as f:
        assert json.load(f) == json.loads(last)
    return json.loads(last), p.stderr


class TempDirTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="crucible-pytest-")
        self.work = os.path.join(self.dir, "work")
        os.mkdir(self.work)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(textwrap.dedent(text))
        return path


class OpenEvolveAdapterTest(TempDirTest):
    def test_a_dict_without_combined_score_scores_the_mean_of_its_numbers(self):
        ev = self.write("evaluator.py", """
            def evaluate(program_path):
                return {"a": 1.0, "b": 4, "flag": True, "note": "hi", "nan": float("nan")}
            """)
        self.write("cand/p.py", "x = 1\n")
        r, _ = adapt("openevolve", ev, "p.py", os.path.join(self.dir, "cand"), cwd=self.work)
        self.assertTrue(r["valid"])
        self.assertEqual(r["score"], 2.5)  # bool and NaN left out, as OpenEvolve does
        self.assertEqual(r["metrics"], {"a": 1.0, "b": 4.0})
        self.assertIn("flag: true", r["feedback"])
        self.assertIn("note: hi", r["feedback"])

    def test_evaluation_result_with_artifacts_becomes_score_and_feedback(self):
        ev = self.write("evaluator.py", """
            from openevolve.evaluation_result import EvaluationResult
            def evaluate(program_path):
                src = open(program_path).read()
                return EvaluationResult(metrics={"combined_score": 0.75, "other": 9.0},
                                        artifacts={"stderr": "warning: " + src.strip(),
                                                   "raw": b"bytes"})
            """)
        self.write("cand/p.py", "x = 1\n")
        r, _ = adapt("openevolve", ev, "p.py", os.path.join(self.dir, "cand"), cwd=self.work)
        self.assertEqual(r["score"], 0.75)
        self.assertEqual(r["artifacts"], {"stderr": "warning: x = 1", "raw": "bytes"})
        self.assertIn("stderr: warning: x = 1", r["feedback"])

    def test_features_are_left_out_of_the_mean(self):
        ev = self.write("evaluator.py", """
            def evaluate(program_path):
                return {"quality": 0.5, "length": 100.0}
            """)
        self.write("cand/p.py", "")
        r, _ = adapt("openevolve", ev, "p.py", os.path.join(self.dir, "cand"),
                     "--features", "length", cwd=self.work)
        self.assertEqual(r["score"], 0.5)

    def test_cascade_stops_below_the_threshold_and_merges_above_it(self):
        ev = self.write("evaluator.py", """
            def evaluate(program_path):
                raise AssertionError("not called when the cascade is on")
            def evaluate_stage1(program_path):
                good = "good" in open(program_path).read()
                return {"combined_score": 0.9 if good else 0.1, "s1": 1.0, "error": 0.0}
            def evaluate_stage2(program_path):
                return {"combined_score": 0.95, "s2": 2.0}
            def evaluate_stage3(program_path):
                return {"combined_score": 0.99, "s3": 3.0}
            """)
        self.write("bad/p.py", "bad\n")
        self.write("good/p.py", "good\n")
        r, _ = adapt("openevolve", ev, "p.py", os.path.join(self.dir, "bad"),
                     "--cascade", "0.5,0.97", cwd=self.work)
        self.assertEqual(r["score"], 0.1)
        self.assertEqual(set(r["metrics"]), {"combined_score", "s1", "error"})
        r, _ = adapt("openevolve", ev, "p.py", os.path.join(self.dir, "good"),
                     "--cascade", "0.5,0.97", cwd=self.work)
        self.assertEqual(r["score"], 0.95)  # stage 2's 0.95 < 0.97: no stage 3
        self.assertEqual(r["metrics"], {"combined_score": 0.95, "s1": 1.0, "s2": 2.0})
        r, _ = adapt("openevolve", ev, "p.py", os.path.join(self.dir, "good"),
                     "--cascade", "0.5,0.9", cwd=self.work)
        self.assertEqual(r["score"], 0.99)
        self.assertEqual(r["metrics"]["s3"], 3.0)

    def test_cascade_stages_one_invocation_each_equal_the_whole_cascade(self):
        # As crucible's stages: CRUCIBLE_STAGE=stageN runs evaluate_stageN
        # only, merges over CRUCIBLE_PREVIOUS_RESULT and says where
        # OpenEvolve's cascade would stop; the last result equals the
        # in-process cascade's.
        ev = self.write("evaluator.py", """
            def evaluate(program_path):
                raise AssertionError("not called when the cascade is on")
            def evaluate_stage1(program_path):
                good = "good" in open(program_path).read()
                return {"combined_score": 0.9 if good else 0.1, "s1": 1.0, "flag": True,
                        "error": 0.0}
            def evaluate_stage2(program_path):
                if "boom" in open(program_path).read():
                    raise ValueError("stage 2 failed")
                return {"combined_score": 0.95, "s2": 2.0}
            def evaluate_stage3(program_path):
                return {"combined_score": 0.99, "s3": 3.0}
            """)
        self.write("bad/p.py", "bad\n")
        self.write("good/p.py", "good\n")
        self.write("boom/p.py", "good boom\n")

        def staged(cand, thresholds):
            previous, stages = None, []
            for n in (1, 2, 3):
                env = clean_env(CRUCIBLE_SEED="0", CRUCIBLE_STAGE=f"stage{n}")
                if previous:
                    env["CRUCIBLE_PREVIOUS_RESULT"] = previous
                p = subprocess.run([PY, ADAPTER, "openevolve", ev, "p.py", "--cascade", thresholds,
                                    os.path.join(self.dir, cand)], cwd=self.work,
                                   capture_output=True, text=True, env=env)
                self.assertEqual(p.returncode, 0, p.stderr)
                r = json.loads(p.stdout.strip().splitlines()[-1])
                stages.append(n)
                if not r.pop("continue"):
                    return r, stages
                previous = os.path.join(self.dir, f"previous-{n}.json")
                with open(previous, "w") as f:
                    json.dump(r, f)
            self.fail("stage 3 said continue")

        for cand, thresholds, last in (("bad", "0.5,0.97", 1), ("good", "0.5,0.97", 2),
                                       ("good", "0.5,0.9", 3), ("boom", "0.5,0.9", 2)):
            with self.subTest(cand=cand, thresholds=thresholds):
                whole, _ = adapt("openevolve", ev, "p.py", os.path.join(self.dir, cand),
                                 "--cascade", thresholds, cwd=self.work)
                r, stages = staged(cand, thresholds)
                self.assertEqual(stages[-1], last)
                self.assertEqual(r["score"], whole["score"])
                self.assertEqual(r["metrics"], whole["metrics"])
                self.assertEqual(r["artifacts"].keys(), whole["artifacts"].keys())
        # The boolean of stage 1 is a number after OpenEvolve's merge (1.0).
        r, _ = staged("good", "0.5,0.97")
        self.assertEqual(r["metrics"]["flag"], 1.0)

    def test_an_exception_is_a_runtime_error_with_the_traceback(self):
        ev = self.write("evaluator.py", """
            def evaluate(program_path):
                raise ValueError("the program is broken")
            """)
        self.write("cand/p.py", "")
        r, _ = adapt("openevolve", ev, "p.py", os.path.join(self.dir, "cand"), cwd=self.work)
        self.assertFalse(r["valid"])
        self.assertEqual(r["outcome"], "runtime_error")
        self.assertIn("ValueError: the program is broken", r["feedback"])

    def test_a_candidate_cannot_print_its_own_result(self):
        # The candidate prints a fake result line and registers an exit
        # handler printing another; neither may become the result.
        ev = self.write("evaluator.py", """
            import importlib.util
            def evaluate(program_path):
                spec = importlib.util.spec_from_file_location("prog", program_path)
                m = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(m)
                return {"combined_score": m.value()}
            """)
        self.write("cand/p.py", """
            import atexit, json, sys
            fake = json.dumps({"score": 1e9, "valid": True})
            print(fake)
            sys.stdout.flush()
            atexit.register(lambda: print(fake))
            def value():
                return 0.25
            """)
        p = subprocess.run([PY, ADAPTER, "openevolve", ev, "p.py", os.path.join(self.dir, "cand")],
                           cwd=self.work, capture_output=True, text=True, env=clean_env())
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.strip().splitlines(), [json.dumps(json.loads(
            p.stdout.strip().splitlines()[-1]))])  # one line only: ours
        self.assertEqual(json.loads(p.stdout)["score"], 0.25)
        self.assertIn("1000000000", p.stderr)  # the candidate's print went to stderr

    def adapt_with_channel(self, ev, candidate_source):
        self.write("cand/p.py", candidate_source)
        r, w = os.pipe()
        os.set_inheritable(w, True)
        p = subprocess.run([PY, ADAPTER, "openevolve", ev, "p.py", os.path.join(self.dir, "cand")],
                           cwd=self.work, capture_output=True, text=True, pass_fds=(w,),
                           env=clean_env(CRUCIBLE_RESULT_FD=str(w)))
        os.close(w)
        with os.fdopen(r, "rb") as f:
            channel = f.read().decode()
        return p, channel

    def test_with_a_result_channel_only_the_channel_holds_the_result(self):
        # Protocol 2: the result goes to CRUCIBLE_RESULT_FD and nowhere else;
        # a candidate that prints or writes result.json and exits before the
        # evaluator returns leaves the channel empty.
        ev = self.write("evaluator.py", """
            import runpy
            def evaluate(program_path):
                runpy.run_path(program_path)
                return {"combined_score": 0.25}
            """)
        p, channel = self.adapt_with_channel(ev, "print('hello')\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(channel)["score"], 0.25)
        self.assertEqual(p.stdout, "")
        self.assertFalse(os.path.exists(os.path.join(self.work, "result.json")))
        self.assertIn("hello", p.stderr)
        p, channel = self.adapt_with_channel(ev, """
            import json, os
            fake = json.dumps({"score": 1e9, "valid": True})
            print(fake, flush=True)
            open("result.json", "w").write(fake)
            os._exit(0)
            """)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(channel, "")

    def test_a_non_finite_combined_score_is_invalid(self):
        ev = self.write("evaluator.py", """
            def evaluate(program_path):
                return {"combined_score": float("inf")}
            """)
        self.write("cand/p.py", "")
        r, _ = adapt("openevolve", ev, "p.py", os.path.join(self.dir, "cand"), cwd=self.work)
        self.assertFalse(r["valid"])
        self.assertNotIn("score", r)


def reference_score(task, program, seed):
    """The task's own evaluate(), called directly, scored by OpenEvolve's own
    get_fitness_score (a copy of openevolve/utils/metrics_utils.py)."""
    code = textwrap.dedent(f"""
        import json, random, sys
        sys.path.insert(0, {os.path.join(OE_DATA, 'reference')!r})
        sys.path.insert(0, {PYTHON_ROOT!r})   # the openevolve shim, for the import
        sys.path.insert(0, {task!r})
        import evaluator
        random.seed({seed})
        if "numpy" in sys.modules:
            sys.modules["numpy"].random.seed({seed} % 2**32)
        from metrics_utils import get_fitness_score
        r = evaluator.evaluate({program!r})
        metrics = r if isinstance(r, dict) else r.metrics
        print(json.dumps({{"score": get_fitness_score(metrics),
                           "metrics": {{k: v for k, v in metrics.items()
                                        if isinstance(v, (int, float))
                                        and not isinstance(v, bool)}}}}))
        """)
    p = subprocess.run([PY, "-c", code], capture_output=True, text=True, timeout=300,
                       cwd=task, env=clean_env())
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout.strip().splitlines()[-1])


def reference_cascade(task, program, thresholds, seed):
    """OpenEvolve's own cascade (a transcription of its _cascade_evaluate,
    tests/data/openevolve/reference/cascade.py) on the task's evaluator,
    scored by its get_fitness_score; and the number of the last stage run."""
    code = textwrap.dedent(f"""
        import json, math, random, sys
        sys.path.insert(0, {os.path.join(OE_DATA, 'reference')!r})
        sys.path.insert(0, {PYTHON_ROOT!r})   # the openevolve shim, for the import
        sys.path.insert(0, {task!r})
        import evaluator
        from cascade import cascade_evaluate
        from metrics_utils import get_fitness_score
        def reseed():
            random.seed({seed})
            if "numpy" in sys.modules:
                sys.modules["numpy"].random.seed({seed} % 2**32)
        r, stage = cascade_evaluate(evaluator, {program!r}, {thresholds!r}, reseed)
        print(json.dumps({{"score": get_fitness_score(r.metrics), "stage": stage,
                           "metrics": {{k: v for k, v in r.metrics.items()
                                        if isinstance(v, (int, float))
                                        and not isinstance(v, bool)
                                        and math.isfinite(v)}}}}))
        """)
    p = subprocess.run([PY, "-c", code], capture_output=True, text=True, timeout=300,
                       cwd=task, env=clean_env())
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout.strip().splitlines()[-1])


# Metrics that measure time differ between any two calls.
TIMING = ("eval_time", "execution_time")


class OpenEvolveExamplesTest(TempDirTest):
    """The adapter scores each example's initial program as the task's own
    evaluate() does (the same seed for both: some are stochastic)."""

    def check(self, name):
        task = os.path.join(OE_DATA, name)
        got, _ = adapt("openevolve", os.path.join(task, "evaluator.py"), "initial_program.py",
                       task, cwd=self.work, seed="12345")
        want = reference_score(task, os.path.join(task, "initial_program.py"), 12345)
        self.assertTrue(got["valid"], got)
        for key, value in want["metrics"].items():
            if key in TIMING or not math.isfinite(value):
                continue
            self.assertEqual(got["metrics"][key], value, key)
        timing = [k for k in want["metrics"] if k in TIMING]
        if not timing or "combined_score" in want["metrics"]:
            self.assertEqual(got["score"], want["score"])
        else:
            # The mean includes a timing metric: equal up to its change.
            n = len([v for v in want["metrics"].values() if math.isfinite(v)])
            self.assertAlmostEqual(got["score"], want["score"], delta=1.0 / n)
        return got

    def test_function_minimization(self):
        self.check("function_minimization")

    def test_circle_packing(self):
        self.assertGreater(self.check("circle_packing")["score"], 0.3)

    def test_signal_processing(self):
        self.check("signal_processing")

    def test_alphaevolve_circle_packing_rect(self):
        self.check("circle_packing_rect")

    def test_alphaevolve_heilbronn_triangle(self):
        self.check("heilbronn_triangle")

    def test_alphaevolve_kissing_number(self):
        self.assertGreater(self.check("kissing_number")["score"], 0)


class ShinkaAdapterTest(TempDirTest):
    def test_run_shinka_eval_task(self):
        ev = self.write("evaluate.py", """
            import argparse
            from shinka.core import run_shinka_eval
            def validate(result):
                return (result >= 0, None if result >= 0 else "negative")
            def aggregate(results):
                return {"combined_score": sum(results) / len(results),
                        "public": {"runs": len(results), "shape": "square"},
                        "private": {"secret": 42},
                        "text_feedback": "try a larger value"}
            def main(program_path, results_dir):
                run_shinka_eval(program_path=program_path, results_dir=results_dir,
                                experiment_fn_name="run", num_runs=3,
                                validate_fn=validate, aggregate_metrics_fn=aggregate)
            if __name__ == "__main__":
                p = argparse.ArgumentParser()
                p.add_argument("--program_path"); p.add_argument("--results_dir")
                a = p.parse_args(); main(a.program_path, a.results_dir)
            """)
        self.write("good/initial.py", "def run(seed):\n    return seed * 1.0\n")
        self.write("bad/initial.py", "def run(seed):\n    return -1.0\n")
        r, _ = adapt("shinka", ev, "initial.py", os.path.join(self.dir, "good"), cwd=self.work)
        self.assertTrue(r["valid"])
        self.assertEqual(r["score"], 2.0)  # seeds 1, 2, 3
        self.assertEqual(r["metrics"]["runs"], 3.0)
        self.assertEqual(r["metrics"]["num_valid_runs"], 3.0)
        self.assertEqual(json.loads(r["artifacts"]["private_metrics.json"]), {"secret": 42})
        self.assertIn("try a larger value", r["feedback"])
        self.assertNotIn("secret", r["feedback"])
        r, _ = adapt("shinka", ev, "initial.py", os.path.join(self.dir, "bad"), cwd=self.work)
        self.assertFalse(r["valid"])
        self.assertIn("Validation failed: negative", r["feedback"])

    def test_shinka_circle_packing_example(self):
        task = os.path.join(HERE, "data", "shinka", "circle_packing")
        r, _ = adapt("shinka", os.path.join(task, "evaluate.py"), "initial.py", task,
                     cwd=self.work)
        self.assertTrue(r["valid"], r)
        self.assertAlmostEqual(r["score"], 0.9597642169962064, places=9)
        self.assertEqual(r["metrics"]["num_circles"], 26.0)


def crucible(*args, timeout=600, env=None):
    e = dict(env or os.environ)
    e["PATH"] = "/usr/bin:/bin:" + e.get("PATH", "")
    return subprocess.run([CRUCIBLE, *args], capture_output=True, text=True, timeout=timeout, env=e)


class CrucibleOpenEvolveTest(TempDirTest):
    """`crucible eval` and `crucible run` on OpenEvolve's own examples."""

    def check_eval(self, name, *flags):
        task = os.path.join(OE_DATA, name)
        p = crucible("eval", task, os.path.join(task, "initial_program.py"), *flags)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        got = json.loads(p.stdout)
        want = reference_score(task, os.path.join(task, "initial_program.py"), 0)
        for key, value in want["metrics"].items():
            if key not in TIMING and math.isfinite(value):
                self.assertEqual(got["metrics"][key], value, key)
        if "combined_score" in want["metrics"] or not any(k in TIMING for k in want["metrics"]):
            self.assertEqual(got["score"], want["score"])
        else:
            self.assertAlmostEqual(got["score"], want["score"], delta=1.0 / len(want["metrics"]))

    def test_eval_scores_each_example_as_its_own_evaluate(self):
        for name in ("circle_packing_rect", "heilbronn_triangle", "kissing_number"):
            with self.subTest(name):
                self.check_eval(name)

    def test_eval_without_the_cascade_is_evaluate(self):
        # function_minimization has evaluate_stage1/2 and OpenEvolve's cascade
        # on: its initial program stops at stage 1 (1.25 < 1.3), under
        # OpenEvolve as under crucible. With the cascade off (a config of the
        # test's, the task left unchanged) the score is evaluate()'s.
        config = os.path.join(self.dir, "no_cascade.yaml")
        with open(config, "w") as f:
            f.write("evaluator:\n  cascade_evaluation: false\n")
        self.check_eval("function_minimization", "--config", config)
        task = os.path.join(OE_DATA, "function_minimization")
        p = crucible("eval", task, os.path.join(task, "initial_program.py"))
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        r = json.loads(p.stdout)
        self.assertLess(r["score"], 1.3)   # stage 1's score: below the threshold
        self.assertNotIn("reliability_score", r["metrics"])  # evaluate()'s own metric

    def test_the_cascade_runs_as_crucible_stages_with_openevolve_scores(self):
        # OpenEvolve's examples with evaluate_stage1/2 and cascade_thresholds:
        # crucible runs each stage as a stage of its own (the result names the
        # last one run) and scores as OpenEvolve's own cascade does.
        results = {}
        for name, config, thresholds in (("function_minimization", "config.yaml", [1.3]),
                                         ("signal_processing", "config.yaml", [0.3, 0.6]),
                                         ("circle_packing", "config_phase_1.yaml", [0.5, 0.75])):
            with self.subTest(name):
                task = os.path.join(OE_DATA, name)
                program = os.path.join(task, "initial_program.py")
                p = crucible("eval", task, program, "--config", config)
                self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
                got = results[name] = json.loads(p.stdout)
                want = reference_cascade(task, program, thresholds, 0)
                self.assertEqual(got.get("stage"), f"stage{want['stage']}", got)
                for key, value in want["metrics"].items():
                    if key not in TIMING:
                        self.assertEqual(got["metrics"][key], value, key)
                if not any(k in TIMING for k in want["metrics"]) or \
                        "combined_score" in want["metrics"]:
                    self.assertEqual(got["score"], want["score"])
                else:
                    self.assertAlmostEqual(got["score"], want["score"],
                                           delta=1.0 / len(want["metrics"]))
        # function_minimization's initial program stops at stage 1 under
        # OpenEvolve (1.25 < 1.3); the feedback says where it stopped.
        self.assertIn("stopped after stage 'stage1'",
                      results["function_minimization"]["feedback"])

    def test_an_initial_program_stopped_at_stage_1_still_seeds_the_run(self):
        # A threshold nothing reaches: every candidate stops at stage 1. The
        # initial program enters the archive anyway (the run's first parent);
        # no child does (the final-stage rule), so every child is the initial
        # program's.
        config = os.path.join(self.dir, "unreachable.yaml")
        with open(config, "w") as f:
            f.write("max_iterations: 5\nevaluator:\n  cascade_thresholds: [1.0e9]\n")
        task = os.path.join(OE_DATA, "function_minimization")
        out = os.path.join(self.dir, "run")
        p = crucible("run", task, "--config", config, "--proposer", "mutate", "-j", "2",
                     "--out", out)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        sys.path.insert(0, PYTHON_ROOT)
        import crucible as crucible_py
        with crucible_py.open_run(out) as run:
            cands = run.candidates()
            self.assertEqual(cands[0].stage, "stage1")
            evaluated = [c for c in cands[1:] if c.outcome not in ("duplicate", "rejected")]
            self.assertEqual(len(evaluated), 5, [c.outcome for c in cands])
            self.assertTrue(all(c.stage == "stage1" for c in evaluated))
            self.assertTrue(all(c.parent_id == 0 for c in cands[1:]),
                            [c.parent_id for c in cands])
            self.assertEqual(run.best().id, 0)

    def test_eval_with_another_config_name(self):
        task = os.path.join(OE_DATA, "circle_packing")
        p = crucible("eval", task, os.path.join(task, "initial_program.py"),
                     "--config", "config_phase_1.yaml")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertGreater(json.loads(p.stdout)["score"], 0.3)

    def test_run_lists_unused_keys_and_keeps_the_initial_score(self):
        task = os.path.join(self.dir, "function_minimization")
        shutil.copytree(os.path.join(OE_DATA, "function_minimization"), task)
        out = os.path.join(self.dir, "run")
        p = crucible("run", task, "--proposer", "mutate", "-n", "6", "-j", "2", "--out", out)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        log = p.stdout + p.stderr
        self.assertIn("checkpoint_interval (", log)
        self.assertIn("database.population_size (", log)
        self.assertEqual(log.count("checkpoint_interval ("), 1)
        sys.path.insert(0, PYTHON_ROOT)
        import crucible as crucible_py
        with crucible_py.open_run(out) as run:
            cands = run.candidates()
            evaluated = [c for c in cands[1:] if c.outcome not in ("duplicate", "rejected")]
            self.assertEqual(len(evaluated), 6, [c.outcome for c in cands])
            self.assertEqual(cands[0].outcome, "ok")
            # OpenEvolve's cascade as crucible's stages, each candidate
            # recorded with the last stage it reached.
            self.assertEqual([s["name"] for s in run.config["evaluator"]["stages"]],
                             ["stage1", "stage2"])
            self.assertTrue(all(c.stage in ("stage1", "stage2") for c in cands),
                            [c.stage for c in cands])
            self.assertEqual(run.config["evaluator"]["format"], "openevolve")
            self.assertEqual(run.config["seed"], 42)  # OpenEvolve's default random_seed


class CrucibleShinkaTest(TempDirTest):
    """`crucible eval` and `crucible run` on a ShinkaEvolve task directory
    (ShinkaEvolve's own circle_packing example, copied unchanged): its
    evaluate.py calls run_shinka_eval from `main(program_path, results_dir)`
    and writes metrics.json / correct.json, served by crucible's shim."""

    TASK = os.path.join(HERE, "data", "shinka", "circle_packing")

    def test_eval_scores_as_the_adapter_warm_and_cold(self):
        p = crucible("eval", self.TASK, os.path.join(self.TASK, "initial.py"))
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        warm = json.loads(p.stdout)
        self.assertEqual(warm["outcome"], "ok", warm)
        self.assertAlmostEqual(warm["score"], 0.9597642169962064, places=9)
        self.assertEqual(warm["metrics"]["num_circles"], 26.0)
        # The same task as a crucible problem.yaml, cold: the same result.
        task = os.path.join(self.dir, "cold")
        shutil.copytree(self.TASK, task)
        with open(os.path.join(task, "problem.yaml"), "w") as f:
            f.write("name: shinka_cold\nfiles: [initial.py]\n"
                    "evaluator: {python: evaluate.py, format: shinka, warm: false}\n")
        p = crucible("eval", task, os.path.join(task, "initial.py"))
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        cold = json.loads(p.stdout)
        self.assertEqual(cold["score"], warm["score"])

    def test_run_evolves_the_task_unchanged(self):
        task = os.path.join(self.dir, "task")
        shutil.copytree(self.TASK, task, ignore=shutil.ignore_patterns("__pycache__"))
        def contents():
            out = {}
            for n in os.listdir(task):
                with open(os.path.join(task, n)) as f:
                    out[n] = f.read()
            return out
        before = contents()
        out = os.path.join(self.dir, "run")
        p = crucible("run", task, "--proposer", "mutate", "-n", "4", "-j", "2", "--out", out)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(contents(), before)  # no file changed, nothing added
        sys.path.insert(0, PYTHON_ROOT)
        import crucible as crucible_py
        with crucible_py.open_run(out) as run:
            cands = run.candidates()
            self.assertEqual(cands[0].outcome, "ok")
            self.assertAlmostEqual(cands[0].score, 0.9597642169962064, places=9)
            self.assertEqual(run.config["evaluator"]["format"], "shinka")
            self.assertGreaterEqual(len(cands), 5)


class OpenEvolveWithAModelServerTest(TempDirTest):
    """An OpenEvolve task with the LLM proposer against the scripted
    OpenAI-compatible server on 127.0.0.1 (tests/llm_test_server.py): the
    config's model, system message and diff mode reach the requests."""

    def test_run_uses_the_config_models_and_system_message(self):
        task = os.path.join(self.dir, "task")
        shutil.copytree(os.path.join(REPO, "examples", "sine_openevolve"), task)
        script = os.path.join(self.dir, "script.json")
        with open(script, "w") as f:
            json.dump({"cycle": [{"kind": "bump", "pattern": r"return (0\.8\d*) \* x",
                                  "step": 0.01, "as": "auto"}]}, f)
        port_file = os.path.join(self.dir, "port")
        server = subprocess.Popen([PY, os.path.join(HERE, "llm_test_server.py"), script, port_file,
                                   os.path.join(self.dir, "server.log")])
        try:
            deadline = time.monotonic() + 20
            while not os.path.exists(port_file):
                self.assertIsNone(server.poll(), "the test server did not start")
                self.assertLess(time.monotonic(), deadline, "the test server did not start")
                time.sleep(0.02)  # polling a file the server writes
            with open(port_file) as f:
                url = f"http://127.0.0.1:{f.read().strip()}/v1"
            env = dict(os.environ, CRUCIBLE_LLM_BASE_URL=url)
            env.pop("OPENAI_API_KEY", None)
            env.pop("CRUCIBLE_LLM_MODEL", None)
            out = os.path.join(self.dir, "run")
            p = crucible("run", task, "--proposer", "llm", "-n", "4", "-j", "1", "--out", out,
                         env=env)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        finally:
            server.kill()
            server.wait()
        db = sqlite3.connect(f"file:{os.path.join(out, 'run.db')}?mode=ro", uri=True)
        calls = db.execute("SELECT model, mode, prompt, outcome FROM llm_calls").fetchall()
        self.assertGreater(len(calls), 0)
        for model, mode, prompt, _ in calls:
            self.assertEqual(model, "Qwen/Qwen2.5-Coder-7B-Instruct")  # config.yaml's primary_model
            self.assertEqual(mode, "diff")  # diff_based_evolution: true
            self.assertIn("using only arithmetic (no math.sin)", prompt)  # prompt.system_message
        self.assertTrue(any(o == "applied" for *_, o in calls), calls)
        db.close()


HOSTILE_CONFIG = """
max_iterations: 3
evaluator:
  timeout: 3
  cascade_evaluation: false
  memory_limit_mb: 256
"""

HOSTILE_EVALUATOR = """
import runpy
def evaluate(program_path):
    ns = runpy.run_path(program_path)
    return {"combined_score": 1.0, "report": str(ns.get("REPORT", ""))}
"""


class WarmHostileCandidateTest(HostileCases, TempDirTest):
    """The hostile candidates of hostile_cases.py in a warm Python worker (an
    OpenEvolve task), and forgeries: the right outcome, nothing left running."""

    REPORT_IN_FEEDBACK = True

    def setUp(self):
        super().setUp()
        self.task = os.path.join(self.dir, "task")
        os.mkdir(self.task)
        for name, text in (("config.yaml", HOSTILE_CONFIG), ("evaluator.py", HOSTILE_EVALUATOR),
                           ("initial_program.py", "REPORT = 'fine'\n")):
            with open(os.path.join(self.task, name), "w") as f:
                f.write(text)
        self.tag = f"crucible_warm_hostile_{os.getpid()}_{time.time_ns()}"
        self.protected_dir = self.task

    def evaluate(self, source, env=None):
        # Every candidate first leaves a detached sleeper carrying the tag.
        prelude = ("import subprocess as _s\n"
                   f"_s.Popen(['sleep', '1000', '{self.tag}'], start_new_session=True)\n")
        path = os.path.join(self.dir, "candidate.py")
        with open(path, "w") as f:
            f.write(prelude + textwrap.dedent(source))
        p = crucible("eval", self.task, path, env=env, timeout=120)
        time.sleep(0.2)
        for pattern in (self.tag, os.path.join(self.dir, "")):
            survivors = subprocess.run(["pgrep", "-f", pattern], capture_output=True,
                                       text=True).stdout
            self.assertEqual(survivors.strip(), "", f"a process survived: {pattern}")
        return p, json.loads(p.stdout)

    def test_a_fine_candidate_is_ok(self):
        _, r = self.evaluate("REPORT = 'hello'\n")
        self.assertEqual(r["outcome"], "ok", r)
        self.assertIn("report: hello", r["feedback"])

    # Forgery: only what the evaluator returns may score. A candidate in the
    # evaluator's process prints a result line, writes result.json, ends the
    # process with os._exit(0) before the evaluator returns; the score it
    # claims (1e9) must not appear, and the outcome is an evaluator error.
    FAKE = "json.dumps({'score': 1e9, 'valid': True, 'metrics': {'combined_score': 1e9}})"

    def assert_forgery_fails(self, source):
        p, r = self.evaluate("import json, os\n" + textwrap.dedent(source))
        self.assertEqual(r["outcome"], "evaluator_error", r)
        self.assertNotIn("score", r)
        self.assertIn("result channel", r["feedback"])
        self.assertEqual(p.returncode, 1)

    def test_a_printed_result_line_does_not_score(self):
        self.assert_forgery_fails(f"print({self.FAKE}, flush=True)\nos._exit(0)\n")

    def test_a_written_result_json_does_not_score(self):
        self.assert_forgery_fails(f"open('result.json', 'w').write({self.FAKE})\nos._exit(0)\n")

    def test_an_early_exit_does_not_score(self):
        self.assert_forgery_fails("os._exit(0)\n")

    def test_the_candidate_holds_no_descriptor_of_the_worker(self):
        # Its own descriptors past stderr: the result pipe only (not the
        # worker's FIFOs to crucible); its parent's (the worker's) cannot be
        # opened through /proc (the worker is not dumpable; the directory
        # may be listed, since the sandbox's user is the owner).
        _, r = self.evaluate("""\
            import os
            links = []
            for fd in sorted(os.listdir('/proc/self/fd'), key=int)[3:]:
                try:
                    links.append(os.readlink(f'/proc/self/fd/{fd}').split('[')[0])
                except OSError:
                    pass
            opened = 0
            try:
                names = os.listdir(f'/proc/{os.getppid()}/fd')
            except PermissionError:
                names = []
            for fd in names:
                try:
                    os.close(os.open(f'/proc/{os.getppid()}/fd/{fd}', os.O_WRONLY))
                    opened += 1
                except OSError:
                    pass
            REPORT = f'links={links} opened_of_parent={opened}'
            """)
        self.assertEqual(r["outcome"], "ok", r)
        self.assertIn("links=['pipe:'] opened_of_parent=0", r["feedback"])


class RunAccessTest(TempDirTest):
    """crucible.run on a run.db written by the crucible binary."""

    @classmethod
    def setUpClass(cls):
        cls.base = tempfile.mkdtemp(prefix="crucible-pyrun-")
        problem = os.path.join(cls.base, "problem")
        subprocess.run([CRUCIBLE, "init", problem], check=True, capture_output=True)
        cls.run_dir = os.path.join(cls.base, "run")
        p = subprocess.run([CRUCIBLE, "run", problem, "--out", cls.run_dir, "-n", "12",
                            "--seed", "3"], capture_output=True, text=True, timeout=300,
                           env=dict(os.environ, PATH="/usr/bin:" + os.environ["PATH"]))
        assert p.returncode == 0, p.stderr

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.base, ignore_errors=True)

    def setUp(self):
        super().setUp()
        sys.path.insert(0, PYTHON_ROOT)
        import crucible
        self.crucible = crucible

    def test_candidates_lineage_and_best_match_the_database(self):
        with self.crucible.open_run(self.run_dir) as run:
            cands = run.candidates()
            self.assertEqual([c.id for c in cands], list(range(len(cands))))
            self.assertEqual(len(cands), 13)  # the initial program and 12 children
            self.assertEqual(cands[0].proposer, "initial")
            self.assertIsNone(cands[0].parent_id)
            child = cands[-1]
            chain = run.lineage(child.id)
            self.assertEqual(chain[0], child.id)
            self.assertEqual(chain[-1], 0)
            for a, b in zip(chain, chain[1:]):
                self.assertEqual(run.candidate(a).parent_id, b)
            best = run.best()
            ok = [c for c in cands if c.outcome == "ok"]
            top = max(c.score for c in ok)
            self.assertEqual(best.score, top)
            self.assertEqual(best.id, min(c.id for c in ok if c.score == top))
            self.assertIn("def approx_sin", best.files["program.py"])
            with open(os.path.join(self.run_dir, "best", "program.py")) as f:
                self.assertEqual(f.read(), best.files["program.py"])
            self.assertIn("rmse", cands[0].metrics)
            self.assertTrue(any(e["kind"] == "run_started" for e in run.events())
                            or run.events())

    def test_dataframe_or_a_clear_import_error(self):
        with self.crucible.open_run(self.run_dir) as run:
            try:
                import pandas  # noqa: F401
            except ImportError:
                with self.assertRaises(ImportError):
                    run.dataframe()
                return
            df = run.dataframe()
            self.assertEqual(len(df), 13)
            self.assertIn("metric.rmse", df.columns)

    def test_the_run_is_opened_read_only(self):
        db = os.path.join(self.run_dir, "run.db")
        before = os.stat(db).st_mtime_ns
        with self.crucible.open_run(self.run_dir) as run:
            with self.assertRaises(sqlite3.OperationalError):
                run._db.execute("DELETE FROM meta")
        self.assertEqual(os.stat(db).st_mtime_ns, before)

    def test_a_file_that_is_not_a_run_is_refused(self):
        bad = os.path.join(self.dir, "bad")
        os.mkdir(bad)
        sqlite3.connect(os.path.join(bad, "run.db")).execute("CREATE TABLE t(x)").connection.close()
        with self.assertRaisesRegex(ValueError, "not a crucible run database"):
            self.crucible.open_run(bad)


if __name__ == "__main__":
    CRUCIBLE = os.path.abspath(sys.argv.pop(1))
    unittest.main()
