// A synthetic run directory for tests and benchmarks of the dashboard: a
// run.db written through RunStore exactly as the engine writes one (initial
// program, children with parents, islands, outcomes, metrics, patches), plus
// optionally an `llm_calls` table in the agreed schema-version-2 shape and
// Pareto-front events.
// Deterministic for a given seed. Not used by the crucible binary.
#ifndef CRUCIBLE_DASHBOARD_SYNTHETIC_RUN_H_
#define CRUCIBLE_DASHBOARD_SYNTHETIC_RUN_H_

#include <cstdint>
#include <string>

#include "core/status.h"

namespace crucible {

struct SyntheticRunOptions {
  int64_t candidates = 1000;  // including the initial program
  int islands = 4;
  uint64_t seed = 1;
  bool llm_calls = false;     // add an llm_calls table; every 3rd child is an "llm" proposal
  int64_t pending = 0;        // the last `pending` candidates stay pending
  int64_t llm_notes = 0;      // scratchpad versions (llm_notes), one per 25 candidates
  int batch = 500;            // candidates per transaction
  // > 0: a run with two objectives (score max, runtime_ms min) whose log
  // holds this many "front" events, one per 10 candidates (engine_record.cc's shape).
  int64_t fronts = 0;

  Status Validate() const;  // candidates >= 1, islands >= 1, 0 <= pending < candidates, batch >= 1
};

// Creates DIR (must not hold a run.db) and DIR/run.db.
Status WriteSyntheticRun(const std::string& dir, const SyntheticRunOptions& options);

// Appends `count` more finished candidates to an existing synthetic run, one
// transaction each (a live run, for tests that read while it writes).
Status AppendSyntheticCandidates(const std::string& dir, int64_t count, uint64_t seed);

}  // namespace crucible

#endif  // CRUCIBLE_DASHBOARD_SYNTHETIC_RUN_H_
