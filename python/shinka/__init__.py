"""crucible's stand-in for the `shinka` package (python/README.md): only
`shinka.core.run_shinka_eval`, what a ShinkaEvolve task's evaluate.py
imports. crucible puts this directory first on the evaluator's PYTHONPATH."""
