"""crucible's Python side (python/README.md): read access to run
directories (crucible.run) and the evaluator adapter for OpenEvolve and
ShinkaEvolve tasks (crucible/adapter.py, run by crucible itself)."""

from crucible.run import Candidate, Run, open_run

__all__ = ["Candidate", "Run", "open_run"]
