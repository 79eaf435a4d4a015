"""OpenEvolve evaluator: evaluate(program_path) returns the metrics, with
combined_score as the score both OpenEvolve and crucible optimise."""
import importlib.util
import math

from openevolve.evaluation_result import EvaluationResult


def _load(program_path):
    spec = importlib.util.spec_from_file_location("program", program_path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rmse(approx_sin, n):
    points = [-math.pi + 2 * math.pi * (i + 0.5) / n for i in range(n)]
    worst, total = 0.0, 0.0
    for x in points:
        y = approx_sin(x)
        if isinstance(y, bool) or not isinstance(y, (int, float)) or not math.isfinite(y):
            raise ValueError(f"approx_sin({x:.3f}) returned {y!r}, not a finite number")
        err = abs(y - math.sin(x))
        worst = max(worst, err)
        total += err * err
    return math.sqrt(total / n), worst


def evaluate_stage1(program_path):
    """A cheap check on 20 points; the full evaluation runs only if it passes."""
    rmse, _ = _rmse(_load(program_path).approx_sin, 20)
    return {"combined_score": 1.0 / (1.0 + rmse)}


def evaluate(program_path):
    try:
        rmse, worst = _rmse(_load(program_path).approx_sin, 200)
    except Exception as e:  # the program's error is shown to the model
        return EvaluationResult(metrics={"combined_score": 0.0},
                                artifacts={"error": f"{type(e).__name__}: {e}"})
    return EvaluationResult(
        metrics={"combined_score": 1.0 / (1.0 + rmse), "rmse": rmse, "max_error": worst},
        artifacts={"summary": f"RMSE {rmse:.6f}; worst error {worst:.6f}"})


def evaluate_stage2(program_path):
    return evaluate(program_path)
