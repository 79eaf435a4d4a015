"""Runs an OpenEvolve or ShinkaEvolve evaluator under crucible's evaluator
protocol (docs/evaluator-protocol.md, docs/openevolve.md).

    python3 adapter.py openevolve EVALUATOR_PY PROGRAM [--cascade T1,T2,...]
        [--features NAME,...] CANDIDATE_DIR
    python3 adapter.py shinka EVALUATE_PY PROGRAM CANDIDATE_DIR

PROGRAM is the evolved file's path inside CANDIDATE_DIR (initial_program.py).
The evaluator module is imported (its directory first on sys.path, as
OpenEvolve does), called on CANDIDATE_DIR/PROGRAM, and what it returns is
turned into one protocol JSON object, written to the result channel
(CRUCIBLE_RESULT_FD, evaluator protocol 2) and only there. Run by hand
without a channel, it writes result.json in the working directory and prints
the object on stdout instead (protocol 1).

OpenEvolve's rules are followed to the letter (openevolve/evaluator.py and
openevolve/utils/metrics_utils.py): a dict or an EvaluationResult is
accepted; the score is `combined_score` when present, else the mean of the
numeric metrics (booleans and NaN left out, feature dimensions left out
unless nothing else is numeric); with --cascade the evaluate_stage1/2/3
functions run in order, each continuing only when the merged metrics pass
its threshold, exactly as OpenEvolve's cascade merges and checks them.

While the evaluator runs, file descriptor 1 points at stderr, so nothing the
evaluator or the candidate prints can be taken for the result; the result is
written last and the process ends with os._exit, so no exit handler of the
candidate runs after it. The channel is moved to a close-on-exec descriptor
and CRUCIBLE_RESULT_FD is taken out of the environment before the evaluator
is imported, so a program the evaluator starts does not inherit it; a
candidate that ends the process early (os._exit(0)) leaves the channel
empty, which crucible reports as an evaluator error, never as a score.
"""

import importlib.util
import json
import math
import os
import sys
import traceback

_HERE = os.path.dirname(os.path.abspath(__file__))
_PYTHON_ROOT = os.path.dirname(_HERE)
if _PYTHON_ROOT not in sys.path:
    sys.path.insert(0, _PYTHON_ROOT)

MAX_FEEDBACK_CHARS = 8 * 1024


def import_file(path, module_name):
    """Imports a .py file as `module_name`, its directory first on sys.path."""
    directory = os.path.dirname(os.path.abspath(path))
    if directory not in sys.path:
        sys.path.insert(0, directory)
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def failure_result():
    """The exception being handled, as a failed evaluation: memory_limit for
    a MemoryError (the sandbox's RLIMIT_AS), runtime_error otherwise."""
    outcome = "memory_limit" if isinstance(sys.exc_info()[1], MemoryError) else "runtime_error"
    return {"valid": False, "outcome": outcome,
            "feedback": traceback.format_exc()[-MAX_FEEDBACK_CHARS:]}


# --- OpenEvolve -------------------------------------------------------------

def _is_openevolve_number(value):
    # metrics_utils.safe_numeric_average: int or float, not bool, not NaN.
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


def openevolve_fitness(metrics, feature_dimensions=()):
    """OpenEvolve's get_fitness_score: combined_score, else the mean."""
    if not metrics:
        return 0.0
    if "combined_score" in metrics:
        try:
            return float(metrics["combined_score"])
        except (TypeError, ValueError):
            pass
    values = [float(v) for k, v in metrics.items()
              if k not in feature_dimensions and _is_openevolve_number(v)]
    if not values:
        values = [float(v) for v in metrics.values() if _is_openevolve_number(v)]
    return sum(values) / len(values) if values else 0.0


def openevolve_passes_threshold(metrics, threshold):
    """OpenEvolve's Evaluator._passes_threshold, the cascade's test."""
    if not metrics:
        return False
    score = metrics.get("combined_score")
    if isinstance(score, (int, float)):
        return float(score) >= threshold
    values = [float(v) for k, v in metrics.items()
              if k != "error" and isinstance(v, (int, float))]
    return bool(values) and sum(values) / len(values) >= threshold


def as_metrics_and_artifacts(result):
    """A dict is metrics; an EvaluationResult (ours or OpenEvolve's) has both."""
    if isinstance(result, dict):
        return dict(result), {}
    metrics = getattr(result, "metrics", None)
    if isinstance(metrics, dict):
        artifacts = getattr(result, "artifacts", None) or {}
        return dict(metrics), dict(artifacts)
    raise TypeError(f"evaluate() returned {type(result).__name__}, "
                    "not a dict or an EvaluationResult")


class OpenEvolveTask:
    """An imported evaluator.py; run() evaluates one program file."""

    def __init__(self, evaluator_path, cascade_thresholds=None, feature_dimensions=()):
        self.module = import_file(evaluator_path, "evaluation_module")
        if not hasattr(self.module, "evaluate"):
            raise AttributeError(f"{evaluator_path} defines no evaluate(program_path)")
        self.cascade = cascade_thresholds
        self.features = tuple(feature_dimensions)

    def run(self, program_path):
        stage = os.environ.get("CRUCIBLE_STAGE", "")
        if (self.cascade is not None and hasattr(self.module, "evaluate_stage1")
                and stage in ("stage1", "stage2", "stage3")):
            return self._one_stage(int(stage[-1]), program_path)
        try:
            if self.cascade is not None and hasattr(self.module, "evaluate_stage1"):
                metrics, artifacts = self._cascade(program_path)
            else:
                metrics, artifacts = as_metrics_and_artifacts(
                    self.module.evaluate(program_path))
        except Exception:  # the evaluator's failure is the candidate's outcome
            return failure_result()
        return to_protocol(metrics, artifacts, openevolve_fitness(metrics, self.features))

    def _one_stage(self, n, program_path):
        """Stage N of OpenEvolve's cascade as crucible's stage "stageN"
        (docs/openevolve.md, "Cascade"): the same calls, merge and threshold
        test as _cascade below, one stage per crucible invocation. The
        earlier stages' metrics come from crucible (CRUCIBLE_PREVIOUS_RESULT,
        whose artifact CARRY holds them as OpenEvolve had them, booleans and
        NaN included); the result says "continue": false where OpenEvolve's
        cascade would stop."""
        fn = getattr(self.module, f"evaluate_stage{n}", None)
        if n == 1:
            try:
                metrics, artifacts = as_metrics_and_artifacts(fn(program_path))
            except Exception:
                return failure_result()
        else:
            metrics, artifacts = previous_stage()
            try:
                if fn is None:
                    raise AttributeError(f"the evaluator defines no evaluate_stage{n}")
                more_metrics, more_artifacts = as_metrics_and_artifacts(fn(program_path))
            except Exception as e:
                artifacts.update({f"stage{n}_stderr": str(e),
                                  f"stage{n}_traceback": traceback.format_exc(),
                                  "failure_stage": f"stage{n}"})
                metrics[f"stage{n}_passed"] = 0.0
                return self._stage_result(metrics, artifacts, False)
            metrics = {k: float(v) for k, v in metrics.items()
                       if isinstance(v, (int, float)) and k != "error"}
            for k, v in more_metrics.items():
                if isinstance(v, (int, float)) and k != "error":
                    metrics[k] = float(v)
            artifacts.update(more_artifacts)
        go_on = (n <= len(self.cascade) and n < 3
                 and hasattr(self.module, f"evaluate_stage{n + 1}")
                 and openevolve_passes_threshold(metrics, self.cascade[n - 1]))
        return self._stage_result(metrics, artifacts, go_on)

    def _stage_result(self, metrics, artifacts, go_on):
        result = to_protocol(metrics, artifacts, openevolve_fitness(metrics, self.features))
        result["continue"] = bool(go_on)
        if go_on:  # the metrics as they are, for the next stage to merge over
            result["artifacts"][CARRY] = json.dumps(metrics, default=repr)
        return result

    def _cascade(self, program_path):
        # openevolve/evaluator.py _cascade_evaluate: stage 1 alone; later
        # stages merge their numeric metrics (except "error") over the earlier.
        # Each stage starts from the candidate's seed, so a stage that calls
        # evaluate() (as OpenEvolve's examples' last stages do) sees what a
        # direct evaluate() call would.
        seed_generators()
        metrics, artifacts = as_metrics_and_artifacts(self.module.evaluate_stage1(program_path))
        for stage in (2, 3):
            threshold_index = stage - 2
            if threshold_index >= len(self.cascade):
                break
            if not openevolve_passes_threshold(metrics, self.cascade[threshold_index]):
                break
            fn = getattr(self.module, f"evaluate_stage{stage}", None)
            if fn is None:
                break
            try:
                seed_generators()
                more_metrics, more_artifacts = as_metrics_and_artifacts(fn(program_path))
            except Exception as e:
                artifacts.update({f"stage{stage}_stderr": str(e),
                                  f"stage{stage}_traceback": traceback.format_exc(),
                                  "failure_stage": f"stage{stage}"})
                metrics[f"stage{stage}_passed"] = 0.0
                break
            if stage == 2:
                metrics = {k: float(v) for k, v in metrics.items()
                           if isinstance(v, (int, float)) and k != "error"}
            for k, v in more_metrics.items():
                if isinstance(v, (int, float)) and k != "error":
                    metrics[k] = float(v)
            artifacts.update(more_artifacts)
        return metrics, artifacts


CARRY = "openevolve_cascade.json"


def previous_stage():
    """The previous stage's metrics (carried as OpenEvolve had them) and
    artifacts (as crucible kept them: text)."""
    with open(os.environ.get("CRUCIBLE_PREVIOUS_RESULT", "")) as f:
        artifacts = dict(json.load(f).get("artifacts", {}))
    return json.loads(artifacts.pop(CARRY)), artifacts


# --- ShinkaEvolve -------------------------------------------------------------

class ShinkaTask:
    """An imported evaluate.py with main(program_path, results_dir)."""

    def __init__(self, evaluate_path):
        self.path = evaluate_path
        self.module = import_file(evaluate_path, "shinka_evaluate_module")

    def run(self, program_path):
        results_dir = os.path.abspath("results")
        try:
            main = getattr(self.module, "main", None)
            if callable(main):
                main(program_path, results_dir)
            else:
                import runpy
                sys.argv = [self.path, "--program_path", program_path,
                            "--results_dir", results_dir]
                runpy.run_path(self.path, run_name="__main__")
            with open(os.path.join(results_dir, "metrics.json")) as f:
                metrics = json.load(f)
            correct = {"correct": False}
            correct_path = os.path.join(results_dir, "correct.json")
            if os.path.exists(correct_path):
                with open(correct_path) as f:
                    correct = json.load(f)
        except SystemExit as e:
            if e.code not in (0, None):
                return {"valid": False, "outcome": "runtime_error",
                        "feedback": f"evaluate.py exited with status {e.code}"}
            return {"valid": False, "feedback": "evaluate.py wrote no metrics.json"}
        except Exception:
            return failure_result()
        return shinka_to_protocol(metrics, correct)


def shinka_to_protocol(metrics, correct):
    # ShinkaEvolve's runner: score = combined_score (default 0), "public"
    # metrics are shown to the model, "private" ones are not, text_feedback
    # is shown; correct.json decides whether the program counts.
    flat = {k: v for k, v in metrics.items() if k not in ("public", "private", "text_feedback")}
    public = metrics.get("public") or {}
    if isinstance(public, dict):
        flat.update({k: v for k, v in public.items() if k not in flat})
    artifacts = {}
    text = metrics.get("text_feedback") or ""
    if text:
        artifacts["text_feedback"] = str(text)
    score = metrics.get("combined_score", 0.0)
    out = to_protocol(flat, artifacts, score)
    private = metrics.get("private")
    if private:  # stored with the candidate, never shown to the proposer
        out["artifacts"]["private_metrics.json"] = json.dumps(private, default=str)
    if not correct.get("correct", False):
        out["valid"] = False
        error = correct.get("error")
        if error:
            out["feedback"] = (f"incorrect: {error}\n" + out.get("feedback", ""))[:MAX_FEEDBACK_CHARS]
    return out


# --- The protocol object --------------------------------------------------------

def _finite_number(value):
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _text(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, default=str)
    except (TypeError, ValueError):
        return str(value)


def to_protocol(metrics, artifacts, score):
    """Metrics, artifacts and a score as crucible's protocol object.

    Numbers become metrics; what the protocol cannot hold as a metric
    (booleans, strings, lists, non-finite numbers) is kept as text in the
    feedback, together with the artifacts, so the proposer still sees it.
    """
    numeric, other = {}, []
    for key, value in metrics.items():
        number = None if isinstance(value, (str, bytes)) else _finite_number(value)
        if number is not None:
            numeric[str(key)] = number
        else:
            other.append(f"{key}: {_text(value)}")
    texts = {str(k): _text(v) for k, v in artifacts.items()}
    feedback_parts = other + [f"{k}:\n{v}" if "\n" in v else f"{k}: {v}"
                              for k, v in texts.items()]
    out = {"metrics": numeric, "artifacts": texts, "feedback": "\n".join(feedback_parts)}
    score_value = _finite_number(score)
    if score_value is None:
        out["valid"] = False
        out["feedback"] = f"score is {score!r}, not a finite number\n" + out["feedback"]
    else:
        out["valid"] = True
        out["score"] = score_value
    out["feedback"] = out["feedback"][-MAX_FEEDBACK_CHARS:]
    return out


# --- Command line -----------------------------------------------------------------

def parse_args(argv):
    if len(argv) < 4 or argv[0] not in ("openevolve", "shinka"):
        raise SystemExit("usage: adapter.py openevolve|shinka EVALUATOR PROGRAM "
                         "[--cascade T1,T2] [--features A,B] CANDIDATE_DIR")
    args = {"format": argv[0], "evaluator": os.path.abspath(argv[1]), "program": argv[2],
            "cascade": None, "features": ()}
    rest = argv[3:]
    while len(rest) > 1 and rest[0].startswith("--"):
        flag, value = rest[0], rest[1]
        if flag == "--cascade":
            args["cascade"] = [float(t) for t in value.split(",") if t]
        elif flag == "--features":
            args["features"] = tuple(t for t in value.split(",") if t)
        else:
            raise SystemExit(f"adapter.py: unknown flag {flag}")
        rest = rest[2:]
    if len(rest) != 1:
        raise SystemExit("adapter.py: the candidate directory must come last")
    args["candidate_dir"] = os.path.abspath(rest[0])
    return args


def make_task(args):
    if args["format"] == "openevolve":
        return OpenEvolveTask(args["evaluator"], args["cascade"], args["features"])
    return ShinkaTask(args["evaluator"])


def seed_generators():
    """Seeds random and numpy.random from CRUCIBLE_SEED, so a stochastic
    evaluator (or candidate) repeats itself when the run is repeated.
    numpy is seeded only when the evaluator imported it: importing it here
    would cost every evaluator numpy's start-up time."""
    seed = int(os.environ.get("CRUCIBLE_SEED", "0") or 0)
    import random
    random.seed(seed)
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed(seed % 2**32)


def take_result_channel():
    """The protocol-2 result channel as a private, close-on-exec descriptor
    (CRUCIBLE_RESULT_FD is removed from the environment and the inherited
    descriptor closed), or None when crucible gave none."""
    number = os.environ.pop("CRUCIBLE_RESULT_FD", "")
    if not number.isdigit():
        return None
    try:
        fd = os.dup(int(number))  # Python's dup is non-inheritable
    except OSError:
        return None
    os.close(int(number))
    # Not dumpable: a program the evaluator starts cannot open the channel
    # through /proc/PPID/fd (docs/evaluator-protocol.md, "Trust").
    import ctypes
    if ctypes.CDLL(None, use_errno=True).prctl(4, ctypes.c_ulong(0), 0, 0, 0) != 0:  # PR_SET_DUMPABLE
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0)")
    return fd


def write_result(result, result_fd, channel):
    """On the channel when there is one; else result.json (by atomic rename)
    and then stdout, which a protocol-1 reader takes."""
    text = json.dumps(result, allow_nan=False)
    if not channel:
        with open("result.json.tmp", "w") as f:
            f.write(text)
        os.replace("result.json.tmp", "result.json")
    data = (text + "\n").encode()
    while data:
        data = data[os.write(result_fd, data):]


def evaluate_here(task, program_path, channel=None):
    """Runs one evaluation in this process and ends it: the result goes to
    `channel` (a descriptor) when given, else to result.json and the stdout
    crucible reads; never returns."""
    result_fd = channel if channel is not None else os.dup(1)
    os.dup2(2, 1)  # prints of the evaluator and the candidate go to stderr
    try:
        seed_generators()
        result = task.run(program_path)
    except BaseException:
        result = failure_result()
    sys.stdout.flush()
    sys.stderr.flush()
    write_result(result, result_fd, channel is not None)
    os._exit(0)


def prepare_for_fork(runs=64):
    """In the warm worker, before its first fork: runs what every child runs
    once its evaluator returns (the seeding, the protocol object and its
    JSON), writing nothing. Python 3.11 specialises a function's bytecode
    in place over its first runs and fills its attribute caches as it goes;
    done here, in the worker, those writes are not repeated in the
    copy-on-write pages of every child (measured: about 20 fewer page
    faults per candidate)."""
    metrics = {"combined_score": 1.0, "count": 2}
    for _ in range(runs):
        seed_generators()
        result = to_protocol(*as_metrics_and_artifacts(metrics), openevolve_fitness(metrics))
        json.dumps(result, allow_nan=False)


def export_python_path():
    # Children the evaluator starts (a program run in a subprocess, say)
    # find the stand-in packages too.
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (_PYTHON_ROOT, os.environ.get("PYTHONPATH", "")) if p)


class _LoadFailure:
    """Stands for a task whose evaluator could not be imported."""

    def __init__(self, text):
        self.text = text

    def run(self, program_path):
        return {"valid": False, "outcome": "runtime_error",
                "feedback": "the evaluator could not be loaded:\n" + self.text}


def load_task(args):
    try:
        return make_task(args)
    except Exception:
        return _LoadFailure(traceback.format_exc()[-MAX_FEEDBACK_CHARS:])


def main(argv):
    args = parse_args(argv)
    channel = take_result_channel()
    export_python_path()
    # Prints while importing the evaluator go to stderr too.
    saved = os.dup(1)
    os.dup2(2, 1)
    task = load_task(args)
    sys.stdout.flush()
    os.dup2(saved, 1)
    os.close(saved)
    evaluate_here(task, os.path.join(args["candidate_dir"], args["program"]), channel)


if __name__ == "__main__":
    main(sys.argv[1:])
