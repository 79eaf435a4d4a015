// RunReader: the dashboard's read-only view of one run directory, shaped as
// JSON. It holds no SQL: every read goes through the store's readers
// (RunStore for metadata and state, store/run_queries.h for the aggregates),
// which keep what leaves the server small whatever the size of the run: a
// downsampled score series, one page of the candidate table, one candidate.
// The grid is the engine's own replay (archive/entry.h), not a copy of it.
//
// Contract:
//  * Read-only, as docs/run-database.md asks of readers (the store's
//    readers open the database read-only; each query is its own short read
//    transaction). A run being written is fine: every call sees the last commit.
//  * Threads. All methods lock one mutex: a RunReader may be shared by the
//    server's worker threads.
//  * Schema. Reads schema versions 1 and 2; the `llm_calls` table (version 2)
//    is used when it exists and simply absent otherwise.
//  * Errors. A missing directory or run.db is kNotFound, a damaged or foreign
//    file kDataLoss, a newer schema kFailedPrecondition; all name the path.
#ifndef CRUCIBLE_DASHBOARD_RUN_READER_H_
#define CRUCIBLE_DASHBOARD_RUN_READER_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "core/status.h"
#include "store/run_queries.h"

namespace crucible {

class RunStore;

// Every done candidate in completion order (the order the engine saw them),
// plus the held-out results recorded for some of them.
struct Series {
  std::vector<SeriesPoint> points;
  struct Heldout {
    int64_t id;
    double value;
  };
  std::vector<Heldout> heldout;
};

struct GridCell {
  int island = 0;
  std::vector<int> coords;
  int64_t id = 0;
  double value = 0;  // the objective's value (not the fitness)
};

struct Grid {
  std::vector<std::string> dimensions;  // names, in options order
  std::vector<int> bins;
  int islands = 0;
  std::vector<GridCell> cells;
};

class RunReader {
 public:
  static StatusOr<std::unique_ptr<RunReader>> Open(const std::string& run_dir);
  ~RunReader();

  const std::string& run_dir() const { return run_dir_; }
  const Objective& objective() const { return config_.objective; }
  const RunConfig& config() const { return config_; }

  // Counts per status and outcome, the best candidate by the objective, its
  // held-out result, islands, timings. Cheap (index lookups).
  StatusOr<nlohmann::json> Summary();
  // How many candidates are done: it only grows, so it tells when cached
  // charts are stale (an index count, no table scan).
  StatusOr<int64_t> DoneCount();
  // All done candidates, narrow rows, completion order (one pass, no sources).
  StatusOr<Series> LoadSeries();
  // One page of the candidate table: {"total": N, "rows": [...]}.
  StatusOr<nlohmann::json> Table(const TableQuery& query);
  // One candidate in full: program, patch, metrics, feedback, artifacts,
  // proposal detail, its LLM calls (prompt and response) and held-out result.
  // kNotFound for an unknown id.
  StatusOr<nlohmann::json> Candidate(int64_t id);
  // Operator and model statistics: children, valid share, improvement share
  // (better than the parent by the objective), tokens, cost.
  StatusOr<nlohmann::json> Proposers();
  // The LLM proposer's meta-scratchpad (docs/llm.md): {"total": N,
  // "current": the newest version or null, "versions": the `limit` newest,
  // newest first}; each version {"id", "evaluated", "model", "call_id",
  // "note", "created_unix"}. Empty for runs without notes (or schema < 4).
  StatusOr<nlohmann::json> Scratchpad(int64_t limit);
  // Several objectives (docs/search.md): the Pareto front over time, from
  // run.db's "front" events — {"objectives": [{"key", "direction"}],
  // "total": N, "fronts": at most `limit` of them, spread over the run, the
  // first and the newest included, oldest first; each {"seq", "unix_time",
  // "evaluations", "hypervolume", "members": [{"id", "values"}]}}. A run
  // with one objective: objectives has its one, total 0, fronts empty.
  StatusOr<nlohmann::json> Fronts(int64_t limit);
  // The MAP-Elites grid of every island: the archive the engine rebuilds when
  // it resumes the run (the same entry rule, archive/entry.h, over the ok
  // candidates in id order, with the run's archive options and cascade).
  StatusOr<Grid> LoadGrid();
  // Ids of the best candidate's ancestors, the best first (empty when none).
  StatusOr<std::vector<int64_t>> PathToBest();
  // The k best candidate ids by the objective.
  StatusOr<std::vector<int64_t>> TopIds(int k);

 private:
  RunReader() = default;
  StatusOr<std::optional<int64_t>> BestIdLocked();

  std::mutex mu_;
  std::string run_dir_;
  RunConfig config_;
  std::unique_ptr<RunStore> store_;
  std::unique_ptr<RunQueries> queries_;
  // The grid is a replay of every ok candidate: cached until the count moves.
  int64_t grid_done_ = -1;
  Grid grid_;
};

}  // namespace crucible

#endif  // CRUCIBLE_DASHBOARD_RUN_READER_H_
