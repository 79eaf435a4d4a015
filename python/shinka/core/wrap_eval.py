"""ShinkaEvolve's run_shinka_eval, re-implemented for crucible.

Same signature and the same files as ShinkaEvolve's shinka/core/wrap_eval.py:
it loads the program, calls `experiment_fn_name` num_runs times (kwargs from
get_experiment_kwargs(i), else {"seed": i + 1}), validates each result,
aggregates, adds execution_time_mean/std and the validation counts, and writes
metrics.json and correct.json to results_dir. It returns
(metrics, correct, first_error).

What differs, and why (docs/openevolve.md, "ShinkaEvolve"):
  * runs are always sequential (run_workers > 1 is accepted and ignored):
    crucible already runs candidates in parallel, one sandbox each;
  * early stopping is not implemented: every run is made (a note goes to
    stderr), which costs time but gives the same or more evidence;
  * plotting_fn is not called (no plots are kept by crucible).
No numpy is needed: the standard deviation is the population one, as
numpy.std computes it.
"""

import importlib.util
import json
import math
import os
import pickle
import statistics
import sys
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

DEFAULT_METRICS_ON_ERROR = {
    "combined_score": 0.0,
    "execution_time_mean": 0.0,
    "execution_time_std": 0.0,
    "num_successful_runs": 0,
    "num_valid_runs": 0,
    "num_invalid_runs": 0,
    "all_validation_errors": [],
}


def load_program(program_path: str) -> Any:
    spec = importlib.util.spec_from_file_location("program", program_path)
    if spec is None or spec.loader is None:
        raise ImportError(f"Could not load spec for module at {program_path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def save_json_results(results_dir: str, metrics: Dict[str, Any], correct: bool,
                      error: Optional[str] = None, verbose: bool = True) -> None:
    os.makedirs(results_dir, exist_ok=True)
    with open(os.path.join(results_dir, "correct.json"), "w") as f:
        json.dump({"correct": correct, "error": error}, f, indent=4)
    with open(os.path.join(results_dir, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=4, default=str)
    if verbose:
        print(f"Metrics and correctness saved to {results_dir}")


def _run_all(experiment_fn, num_runs, get_experiment_kwargs, validate_fn, verbose):
    results, times, errors = [], [], []
    num_valid = num_invalid = 0
    first_error = None
    for i in range(num_runs):
        kwargs = get_experiment_kwargs(i) if get_experiment_kwargs else {"seed": i + 1}
        start = time.perf_counter()
        result = experiment_fn(**kwargs)
        times.append(time.perf_counter() - start)
        results.append(result)
        if validate_fn:
            ok, message = validate_fn(result)
            if ok:
                num_valid += 1
            else:
                num_invalid += 1
                if message:
                    first_error = first_error or f"Validation failed: {message}"
                    if message not in errors:
                        errors.append(message)
        if verbose:
            print(f"Run {i + 1}/{num_runs} completed in {times[-1]:.2f} seconds")
    return results, times, errors, num_valid, num_invalid, first_error


def run_shinka_eval(
    program_path: str,
    results_dir: str,
    experiment_fn_name: str,
    num_runs: int,
    get_experiment_kwargs: Optional[Callable[[int], Dict[str, Any]]] = None,
    aggregate_metrics_fn: Optional[Callable[[List[Any]], Dict[str, Any]]] = None,
    validate_fn: Optional[Callable[[Any], Tuple[bool, Optional[str]]]] = None,
    plotting_fn: Optional[Callable[[Any], List[Any]]] = None,
    default_metrics_on_error: Optional[Dict[str, Any]] = None,
    early_stop_method=None,
    early_stop_threshold: Optional[float] = None,
    early_stop_score_fn=None,
    early_stop_kwargs=None,
    run_workers: int = 1,
    max_workers_cap: Optional[int] = None,
    verbose: Optional[bool] = None,
) -> Tuple[Dict[str, Any], bool, Optional[str]]:
    if verbose is None:
        verbose = os.environ.get("SHINKA_EVAL_VERBOSE", "1") != "0"
    if run_workers < 1:
        raise ValueError("run_workers must be >= 1")
    if early_stop_method is not None:
        print("crucible: run_shinka_eval early stopping is not implemented; "
              "making all runs", file=sys.stderr)
    defaults = dict(default_metrics_on_error or DEFAULT_METRICS_ON_ERROR)
    correct = True
    first_error = None
    results: List[Any] = []
    try:
        module = load_program(program_path)
        if not hasattr(module, experiment_fn_name):
            raise AttributeError(
                f"Experiment function '{experiment_fn_name}' not found in {program_path}")
        results, times, errors, num_valid, num_invalid, first_error = _run_all(
            getattr(module, experiment_fn_name), num_runs, get_experiment_kwargs,
            validate_fn, verbose)
        if num_invalid:
            correct = False
        if aggregate_metrics_fn:
            metrics = aggregate_metrics_fn(results)
        else:
            metrics = {"num_successful_runs": len(results),
                       "first_run_result_type": str(type(results[0])) if results else "N/A",
                       "raw_results_preview": str(results[:2]) if results else "N/A"}
        metrics["execution_time_mean"] = float(statistics.fmean(times)) if times else 0.0
        metrics["execution_time_std"] = float(statistics.pstdev(times)) if times else 0.0
        if validate_fn:
            metrics["num_valid_runs"] = num_valid
            metrics["num_invalid_runs"] = num_invalid
            metrics["all_validation_errors"] = errors
        score = metrics.get("combined_score")
        if isinstance(score, (int, float)) and not math.isfinite(score):
            correct = False
            first_error = first_error or f"combined_score is {score}"
    except Exception as e:  # the original turns every failure into metrics too
        print(f"Evaluation error: {e}")
        metrics = {k: defaults.get(k, v) for k, v in DEFAULT_METRICS_ON_ERROR.items()}
        if validate_fn:
            metrics.setdefault("num_valid_runs", 0)
            metrics.setdefault("num_invalid_runs", len(results) or num_runs)
            metrics.setdefault("all_validation_errors", [str(e)])
        first_error = str(e)
        correct = False
    if "extra_data" in metrics:
        os.makedirs(results_dir, exist_ok=True)
        with open(os.path.join(results_dir, "extra.pkl"), "wb") as f:
            pickle.dump(metrics.pop("extra_data"), f)
    save_json_results(results_dir, metrics, correct, first_error, verbose)
    return metrics, correct, first_error
