// RunReader: the dashboard's read-only view of one run directory. Every
// query aggregates in SQL (or over a single pass of narrow rows) so that what
// leaves the server stays small whatever the size of the run: a downsampled
// score series, one page of the candidate table, one candidate.
//
// Contract:
//  * Read-only. The database is opened with SQLITE_OPEN_READONLY (and, for a
//    finished run in a directory we cannot write, as an immutable snapshot),
//    exactly as docs/run-database.md asks of readers; each query is its own
//    short read transaction, so a reader never holds the writer's checkpoints
//    back. A run being written is fine: every call sees the last commit.
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

namespace crucible {

class RunStore;
namespace sqlite {
class Database;
}

// One finished candidate, narrow: what the score chart and lineage need.
struct SeriesPoint {
  int64_t id = 0;
  int64_t parent_id = -1;  // -1: none
  int island = 0;
  int generation = 0;
  std::string outcome;
  std::optional<double> value;  // the objective's value (outcome ok only)
  double completed_unix = 0;
};

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

// What the candidate table asks for. Sort keys: id, value, island,
// generation, outcome, proposer; filters are exact matches ("" = any).
struct TableQuery {
  int64_t offset = 0;
  int64_t limit = 50;  // clamped to [1, 500]
  std::string sort = "id";
  bool descending = false;
  std::string outcome;
  std::string proposer;
  std::optional<int> island;

  // kInvalidArgument naming the field (sort, offset, limit).
  Status Validate() const;
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
  // The MAP-Elites grid of every island, rebuilt by replaying the ok
  // candidates into an archive with the run's options in completion order.
  StatusOr<Grid> LoadGrid();
  // Ids of the best candidate's ancestors, the best first (empty when none).
  StatusOr<std::vector<int64_t>> PathToBest();
  // The k best candidate ids by the objective.
  StatusOr<std::vector<int64_t>> TopIds(int k);

 private:
  RunReader() = default;
  std::string ValueExpr() const;  // SQL for the objective's value of row `r` (NULL unless ok)
  std::string RankExpr() const;   // the same, for queries already restricted to outcome 'ok'
  StatusOr<std::optional<int64_t>> BestIdLocked();

  std::mutex mu_;
  std::string run_dir_;
  RunConfig config_;
  std::unique_ptr<RunStore> store_;
  std::unique_ptr<sqlite::Database> db_;
  bool has_llm_calls_ = false;
  // The grid is a replay of every ok candidate: cached until the count moves.
  int64_t grid_done_ = -1;
  Grid grid_;
};

}  // namespace crucible

#endif  // CRUCIBLE_DASHBOARD_RUN_READER_H_
