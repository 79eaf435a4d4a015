"""crucible's stand-in for the `openevolve` package (python/README.md).

Only what an OpenEvolve task's evaluator imports is provided, so that
`from openevolve.evaluation_result import EvaluationResult` works where
OpenEvolve is not installed. crucible puts this directory first on the
evaluator's PYTHONPATH; nothing else of OpenEvolve is imitated.
"""

from openevolve.evaluation_result import EvaluationResult

__all__ = ["EvaluationResult"]
