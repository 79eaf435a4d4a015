// RunQueries: the read-only, aggregate views of one run database that the
// dashboard (and anything else showing a run) needs — counts, the score
// series, pages of the candidate table, one candidate's columns, lineage,
// operator and model statistics, the input of an archive replay. The store
// owns the schema: every such query lives here, none in its callers.
//
// Contract:
//  * Read-only. Its own read-only connection (an immutable snapshot for a
//    finished run in a directory we cannot write, as RunStore does); each
//    call is its own short read transaction, so a reader never holds the
//    writer's checkpoints back, and sees the last commit of a live run.
//  * Threads. Not thread-safe: one caller at a time (the dashboard's
//    RunReader locks around it).
//  * Objective. Values and "best" follow the objective given at Open, and
//    "best" leaves out results of cascade stages before `final_stage`, as the
//    archive does (archive/entry.h; RunStore::TopByObjective is the same SQL).
//  * Sizes. Every call is an index lookup or one pass over narrow columns:
//    fit for 10^5 candidates (docs/dashboard.md has timings).
//  * Schema. Versions 1 to 5; the llm_calls table (version 2) is used when it
//    exists.
#ifndef CRUCIBLE_STORE_RUN_QUERIES_H_
#define CRUCIBLE_STORE_RUN_QUERIES_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/candidate.h"
#include "core/llm_call.h"
#include "core/objective.h"
#include "core/status.h"

namespace crucible {

namespace sqlite {
class Database;
}

// One candidate, narrow: what the score chart and lineage need.
struct SeriesPoint {
  int64_t id = 0;
  int64_t parent_id = -1;  // -1: none
  int island = 0;
  int generation = 0;
  std::string outcome;
  std::optional<double> value;  // the objective's value (outcome ok only)
  double completed_unix = 0;
};

// What the candidate table asks for. Sort keys: id, value, island,
// generation, outcome, proposer; filters are exact matches ("" = any;
// outcome "pending" = the pending rows).
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

// One row of the candidate table.
struct TableRow {
  int64_t id = 0;
  std::optional<int64_t> parent_id;
  int island = 0;
  int generation = 0;
  std::string outcome;  // "pending" for a pending row
  std::optional<double> value;
  std::string proposer;
  std::string operators_json;  // as stored (a JSON array)
  std::optional<double> eval_seconds;
  double created_unix = 0;
};

struct TablePage {
  int64_t total = 0;  // rows matching the filters
  std::vector<TableRow> rows;
};

// Every column of one candidate as stored (JSON columns as their text), and
// the objective's value of it and of its parent.
struct CandidateColumns {
  int64_t id = 0;
  std::string status;
  std::optional<int64_t> parent_id;
  int island = 0;
  int generation = 0;
  std::string inspiration_ids_json, seed, source_hash, program_json, patch, proposer;
  std::string operators_json, proposal_detail_json;
  double propose_seconds = 0;
  std::optional<std::string> outcome;  // null while pending
  std::optional<double> value, score, parent_value;
  std::string metrics_json, features_json, feedback, artifacts_json, stage;
  std::optional<double> eval_seconds, completed_unix;
  std::optional<int64_t> duplicate_of;
  double created_unix = 0;
};

// Children per (proposer, operator): a child without operators counts under
// "" (its proposer's name).
struct OperatorStats {
  std::string proposer, op;
  int64_t children = 0, valid = 0, improved = 0;  // improved: better than its parent
};

// The newest versions of the LLM proposer's scratchpad (llm_notes, schema
// 4), newest first, and how many there are in all.
struct LlmNotesPage {
  int64_t total = 0;
  std::vector<LlmNoteRecord> notes;
};

// One event of the run's log (run.db `events`), its JSON as stored.
struct EventRecord {
  int64_t seq = 0;
  double unix_time = 0;
  std::string json;
};

// Events of one kind, oldest first: at most `limit`, spread evenly over
// all of them (the first and the last always among them), and how many
// there are in all.
struct EventSample {
  int64_t total = 0;
  std::vector<EventRecord> events;
};

struct ModelStats {
  std::string model;
  int64_t calls = 0, applied = 0, prompt_tokens = 0, completion_tokens = 0;
  std::optional<double> cost, mean_latency_seconds;
  int64_t children = 0, valid = 0, improved = 0;
};

class RunQueries {
 public:
  // `db_path` is a run.db; errors as RunStore::Open's (open that first: it
  // checks the application id and schema version).
  static StatusOr<std::unique_ptr<RunQueries>> Open(const std::string& db_path, Objective objective,
                                                    std::string final_stage);
  ~RunQueries();

  StatusOr<int64_t> CountDone();     // outcome recorded (an index count)
  StatusOr<int64_t> CountPending();  // (the partial status index)
  StatusOr<int64_t> CountOk();       // outcome ok: what an archive replay reads
  // The k best ids by the objective (RunStore::TopByObjective's query).
  StatusOr<std::vector<int64_t>> TopIds(int k);
  // Value, island, generation of one candidate (nullopt for an unknown id).
  StatusOr<std::optional<SeriesPoint>> Point(int64_t id);
  // Every done candidate in completion order (ties by id), narrow.
  StatusOr<std::vector<SeriesPoint>> Series();
  // State entries whose key starts with `prefix` (e.g. "heldout:").
  StatusOr<std::vector<std::pair<std::string, std::string>>> StateWithPrefix(
      const std::string& prefix);
  StatusOr<TablePage> Table(const TableQuery& query);
  // kNotFound for an unknown id.
  StatusOr<CandidateColumns> CandidateDetail(int64_t id);
  // Whether any LLM call was recorded (false for schema 1).
  StatusOr<bool> HasLlmCalls();
  StatusOr<std::vector<LlmCallRecord>> LlmCallsOf(int64_t candidate_id);
  // The `limit` newest scratchpad versions (none before schema 4 or when the
  // run wrote none). An index range on the primary key, whatever the count.
  StatusOr<LlmNotesPage> LlmNotes(int64_t limit);
  // Events of kind `kind` (e.g. "front", a run with several objectives:
  // docs/run-database.md), sampled to at most `limit` (>= 2) as
  // EventSample says. One pass over the event log's narrow columns and a
  // read of the chosen rows.
  StatusOr<EventSample> EventsOfKind(const std::string& kind, int64_t limit);
  StatusOr<std::vector<OperatorStats>> Operators();
  StatusOr<std::vector<ModelStats>> Models();  // empty without LLM calls
  // The candidates with outcome ok in id order — the order the engine replays
  // a run on resume — decoded as the engine decodes them, without the
  // columns the archive's entry rule does not read (feedback, artifacts,
  // patch, proposal detail; the program only when `with_program`, for the
  // code_length feature).
  StatusOr<std::vector<Candidate>> ArchiveReplayInput(bool with_program);
  // `id` and its ancestors, `id` first.
  StatusOr<std::vector<int64_t>> Ancestors(int64_t id);

 private:
  RunQueries() = default;
  StatusOr<int64_t> Count(const std::string& sql);

  std::unique_ptr<sqlite::Database> db_;
  std::string path_;
  Objective objective_;
  std::string final_stage_;
  std::string value_;  // SQL: the objective's value of row `r`
};

}  // namespace crucible

#endif  // CRUCIBLE_STORE_RUN_QUERIES_H_
