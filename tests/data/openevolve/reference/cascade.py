"""OpenEvolve's cascade, the reference crucible's cascade stages are compared
with: `Evaluator._cascade_evaluate` and `Evaluator._passes_threshold` of
openevolve/evaluator.py (commit 411fb59c886c18704caaffb611e17cf9e7d824d2,
Apache-2.0, see ../LICENSE), transcribed without asyncio: the per-stage
timeouts and the logging are left out, and `reseed()` is called before each
stage (OpenEvolve does not seed; crucible gives each stage the candidate's
seed), so that a stochastic stage gives the same numbers under both.
Everything else is OpenEvolve's code as it is.
"""

import traceback


class EvaluationResult:
    def __init__(self, metrics, artifacts=None):
        self.metrics = metrics
        self.artifacts = artifacts if artifacts is not None else {}

    @classmethod
    def from_dict(cls, metrics):
        return cls(metrics=metrics)


def _process_evaluation_result(result):
    if isinstance(result, dict):
        return EvaluationResult.from_dict(result)
    if hasattr(result, "metrics"):
        return EvaluationResult(result.metrics, getattr(result, "artifacts", {}) or {})
    return EvaluationResult(metrics={"error": 0.0})


def _passes_threshold(metrics, threshold):
    if not metrics:
        return False
    if "combined_score" in metrics:
        score = metrics.get("combined_score")
        if isinstance(score, (int, float)):
            return float(score) >= threshold
    valid_metrics = []
    for name, value in metrics.items():
        if name != "error" and isinstance(value, (int, float)):
            try:
                valid_metrics.append(float(value))
            except (TypeError, ValueError):
                continue
    if not valid_metrics:
        return False
    avg_score = sum(valid_metrics) / len(valid_metrics)
    return avg_score >= threshold


def cascade_evaluate(module, program_path, cascade_thresholds, reseed):
    """Returns (EvaluationResult, the number of the last stage run)."""
    if not hasattr(module, "evaluate_stage1"):
        reseed()
        return _process_evaluation_result(module.evaluate(program_path)), 0
    try:
        reseed()
        stage1_eval_result = _process_evaluation_result(module.evaluate_stage1(program_path))
    except Exception as e:
        return EvaluationResult(metrics={"stage1_passed": 0.0, "error": 0.0},
                                artifacts={"stderr": str(e),
                                           "traceback": traceback.format_exc()}), 1
    if not _passes_threshold(stage1_eval_result.metrics, cascade_thresholds[0]):
        return stage1_eval_result, 1
    if not hasattr(module, "evaluate_stage2"):
        return stage1_eval_result, 1
    try:
        reseed()
        stage2_eval_result = _process_evaluation_result(module.evaluate_stage2(program_path))
    except Exception as e:
        stage1_eval_result.artifacts.update({"stage2_stderr": str(e),
                                             "stage2_traceback": traceback.format_exc(),
                                             "failure_stage": "stage2"})
        stage1_eval_result.metrics["stage2_passed"] = 0.0
        return stage1_eval_result, 2
    merged_metrics = {}
    for name, value in stage1_eval_result.metrics.items():
        if isinstance(value, (int, float)) and name != "error":
            merged_metrics[name] = float(value)
    for name, value in stage2_eval_result.metrics.items():
        if isinstance(value, (int, float)) and name != "error":
            merged_metrics[name] = float(value)
    merged_artifacts = {}
    merged_artifacts.update(stage1_eval_result.artifacts)
    merged_artifacts.update(stage2_eval_result.artifacts)
    merged_result = EvaluationResult(metrics=merged_metrics, artifacts=merged_artifacts)
    if len(cascade_thresholds) < 2 or not _passes_threshold(merged_result.metrics,
                                                            cascade_thresholds[1]):
        return merged_result, 2
    if not hasattr(module, "evaluate_stage3"):
        return merged_result, 2
    try:
        reseed()
        stage3_eval_result = _process_evaluation_result(module.evaluate_stage3(program_path))
    except Exception as e:
        merged_result.artifacts.update({"stage3_stderr": str(e),
                                        "stage3_traceback": traceback.format_exc(),
                                        "failure_stage": "stage3"})
        merged_result.metrics["stage3_passed"] = 0.0
        return merged_result, 3
    for name, value in stage3_eval_result.metrics.items():
        if isinstance(value, (int, float)) and name != "error":
            merged_result.metrics[name] = float(value)
    merged_result.artifacts.update(stage3_eval_result.artifacts)
    return merged_result, 3
