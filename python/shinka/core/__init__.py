"""Only run_shinka_eval of ShinkaEvolve's shinka.core (python/README.md)."""

from shinka.core.wrap_eval import run_shinka_eval

__all__ = ["run_shinka_eval"]
