"""Read access to a crucible run directory from Python (python/README.md).

    import crucible
    run = crucible.open_run("runs/sine_approx-1")
    run.best().files["program.py"]        # the best program's source
    df = run.dataframe()                    # pandas, when installed

The run's database is opened read-only (SQLite's own module, no other
dependency); nothing here writes to the run, and a run that is still going
can be read while it writes. This is a separate client of run.db: it reads
the documented tables of schema versions 1 to 5 (docs/run-database.md) and
refuses newer files rather than guess. Its queries are the few below; every
other reading of run.db belongs to src/store.
"""

import json
import math
import os
import sqlite3
from dataclasses import dataclass, field
from typing import Dict, List, Optional

APPLICATION_ID = 0x63727563  # "cruc"
MAX_SCHEMA_VERSION = 5

# The columns of the `candidates` view that describe a result, without the
# program text (which is large and read only on request).
_RECORD_COLUMNS = (
    "id, status, parent_id, inspiration_ids, island, generation, seed, source_hash, "
    "proposer, operators, proposal_detail, propose_seconds, outcome, score, metrics, "
    "features, feedback, artifacts, stage, eval_seconds, duplicate_of, created_unix, "
    "completed_unix")


@dataclass
class Candidate:
    """One row of `candidates`; `files` is filled only when sources were read."""
    id: int
    status: str
    parent_id: Optional[int]
    inspiration_ids: List[int]
    island: int
    generation: int
    seed: int
    source_hash: str
    proposer: str
    operators: List[str]
    proposal_detail: dict
    propose_seconds: float
    outcome: Optional[str]
    score: Optional[float]
    metrics: Dict[str, float]
    features: Dict[str, float]
    feedback: Optional[str]
    artifacts: Dict[str, object]
    stage: Optional[str]
    eval_seconds: Optional[float]
    duplicate_of: Optional[int]
    created_unix: float
    completed_unix: Optional[float]
    files: Dict[str, str] = field(default_factory=dict)
    patch: Optional[str] = None

    def value(self, key: str) -> Optional[float]:
        """The objective `key` ("score" or a metric) when the outcome is ok."""
        if self.outcome != "ok":
            return None
        v = self.score if key == "score" else self.metrics.get(key)
        return v if isinstance(v, (int, float)) and math.isfinite(v) else None


def _json(text, empty):
    if not text:
        return empty
    try:
        return json.loads(text)
    except ValueError:
        return empty


def _numbers(obj):
    # run.db writes NaN and infinities as strings (docs/run-database.md).
    special = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
    return {k: special.get(v, v) if isinstance(v, str) else v for k, v in obj.items()}


def _candidate(row):
    (cid, status, parent_id, inspirations, island, generation, seed, source_hash, proposer,
     operators, detail, propose_seconds, outcome, score, metrics, features, feedback,
     artifacts, stage, eval_seconds, duplicate_of, created, completed) = row
    return Candidate(
        id=cid, status=status, parent_id=parent_id,
        inspiration_ids=_json(inspirations, []), island=island, generation=generation,
        seed=int(seed), source_hash=source_hash, proposer=proposer,
        operators=_json(operators, []), proposal_detail=_json(detail, {}),
        propose_seconds=propose_seconds, outcome=outcome, score=score,
        metrics=_numbers(_json(metrics, {})), features=_numbers(_json(features, {})),
        feedback=feedback, artifacts=_json(artifacts, {}), stage=stage,
        eval_seconds=eval_seconds, duplicate_of=duplicate_of, created_unix=created,
        completed_unix=completed)


def _files(program_json):
    import base64
    files = {}
    for f in _json(program_json, []):
        if "content" in f:
            files[f["path"]] = f["content"]
        else:  # not UTF-8: kept as bytes
            files[f["path"]] = base64.b64decode(f.get("content_base64", ""))
    return files


class Run:
    """A run directory, opened read-only. Use as a context manager or close()."""

    def __init__(self, run_dir: str):
        self.run_dir = os.path.abspath(run_dir)
        path = os.path.join(self.run_dir, "run.db")
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{path}: no run database here")
        self._db = self._connect(path)
        self._check(path)
        self.meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        self.schema_version = int(self.meta["schema_version"])
        self.config = _json(self.meta.get("config_json"), {})
        objective = self.config.get("objective") or {}
        self.objective_key = objective.get("key", "score")
        self.maximize = objective.get("direction", "maximize") != "minimize"

    @staticmethod
    def _connect(path):
        # Without -wal/-shm in a directory we may not write to, no writer can
        # be active: read the file as an immutable snapshot, as RunStore does.
        directory = os.path.dirname(path)
        wal_missing = not os.path.exists(path + "-wal")
        mode = "ro"
        if wal_missing and not os.access(directory, os.W_OK):
            mode = "ro&immutable=1"
        db = sqlite3.connect(f"file:{path}?mode={mode}", uri=True, timeout=5.0)
        db.execute("PRAGMA query_only = 1")
        return db

    def _check(self, path):
        app_id = self._db.execute("PRAGMA application_id").fetchone()[0]
        if app_id != APPLICATION_ID:
            raise ValueError(f"{path}: not a crucible run database (application_id {app_id})")
        row = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is None:
            raise ValueError(f"{path}: not a crucible run database (no schema_version)")
        if int(row[0]) > MAX_SCHEMA_VERSION:
            raise ValueError(f"{path} has schema version {row[0]}, but this module reads "
                             f"schema versions up to {MAX_SCHEMA_VERSION}; use a newer crucible")

    def close(self):
        self._db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def candidates(self, with_sources: bool = False) -> List[Candidate]:
        """Every candidate in id order; sources only when asked (they are large)."""
        rows = self._db.execute(f"SELECT {_RECORD_COLUMNS} FROM candidates ORDER BY id").fetchall()
        out = [_candidate(r) for r in rows]
        if with_sources:
            sources = dict((i, (p, d)) for i, p, d in self._db.execute(
                "SELECT id, program, patch FROM candidate_sources"))
            for c in out:
                program, patch = sources.get(c.id, ("[]", ""))
                c.files, c.patch = _files(program), patch
        return out

    def candidate(self, candidate_id: int) -> Candidate:
        """One candidate with its files and patch; KeyError when unknown."""
        row = self._db.execute(
            f"SELECT {_RECORD_COLUMNS}, program, patch FROM candidates WHERE id = ?",
            (candidate_id,)).fetchone()
        if row is None:
            raise KeyError(f"no candidate {candidate_id} in {self.run_dir}")
        c = _candidate(row[:-2])
        c.files, c.patch = _files(row[-2]), row[-1]
        return c

    def lineage(self, candidate_id: int) -> List[int]:
        """Ids from `candidate_id` up to the initial program (its ancestors)."""
        parents = dict(self._db.execute("SELECT id, parent_id FROM candidate_records"))
        if candidate_id not in parents:
            raise KeyError(f"no candidate {candidate_id} in {self.run_dir}")
        chain = [candidate_id]
        while parents.get(chain[-1]) is not None and len(chain) <= len(parents):
            chain.append(parents[chain[-1]])
        return chain

    def best(self) -> Optional[Candidate]:
        """The best ok candidate by the run's objective (ties: lower id), as
        `crucible best` picks it; None when nothing has a value yet. With a
        cascade, only candidates that reached the last stage count, and the
        initial program wherever it stopped (the archive's rule)."""
        stages = (self.config.get("evaluator") or {}).get("stages") or []
        final = stages[-1].get("name") if stages else None
        best = None
        for c in self.candidates():
            v = c.value(self.objective_key)
            if v is None:
                continue
            if final and c.stage and c.stage != final and c.parent_id is not None:
                continue
            if best is None or (v > best[0] if self.maximize else v < best[0]):
                best = (v, c.id)
        return self.candidate(best[1]) if best else None

    def events(self) -> List[dict]:
        return [{"seq": s, "unix_time": t, "kind": k, "data": _json(j, {})}
                for s, t, k, j in self._db.execute(
                    "SELECT seq, unix_time, kind, json FROM events ORDER BY seq")]

    def dataframe(self):
        """A pandas DataFrame, one row per candidate, one column per metric
        (`metric.NAME`) and feature (`feature.NAME`). Needs pandas
        (Debian: python3-pandas); ImportError otherwise."""
        import pandas as pd
        rows = []
        for c in self.candidates():
            row = {k: v for k, v in c.__dict__.items()
                   if k not in ("metrics", "features", "artifacts", "files", "patch",
                                "proposal_detail")}
            row.update({f"metric.{k}": v for k, v in c.metrics.items()})
            row.update({f"feature.{k}": v for k, v in c.features.items()})
            rows.append(row)
        return pd.DataFrame(rows).set_index("id") if rows else pd.DataFrame()


def open_run(run_dir: str) -> Run:
    return Run(run_dir)
