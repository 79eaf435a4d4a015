// The mapping between a Candidate and a row of the `candidates` table
// (docs/run-database.md). Private to the store component.
#ifndef CRUCIBLE_STORE_CANDIDATE_ROW_H_
#define CRUCIBLE_STORE_CANDIDATE_ROW_H_

#include <functional>
#include <string>

#include "core/candidate.h"
#include "core/status.h"
#include "store/run_store.h"
#include "store/sqlite.h"

namespace crucible::store_row {

// Every column of the `candidates` view, in the order ReadRow expects them.
#define CRUCIBLE_CANDIDATE_COLUMNS                                                         \
  "id, status, parent_id, inspiration_ids, island, generation, seed, source_hash, "        \
  "program, patch, proposer, operators, proposal_detail, propose_seconds, outcome, score, " \
  "metrics, features, feedback, artifacts, stage, eval_seconds, duplicate_of, "             \
  "created_unix, completed_unix"

// The columns of `candidate_records`: the view's, less program and patch.
inline constexpr char kInsertRecordSql[] =
    "INSERT INTO candidate_records (id, status, parent_id, inspiration_ids, island, generation, "
    "seed, source_hash, proposer, operators, proposal_detail, propose_seconds, outcome, score, "
    "metrics, features, feedback, artifacts, stage, eval_seconds, duplicate_of, created_unix, "
    "completed_unix) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
    "?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)";

inline constexpr char kInsertSourcesSql[] =
    "INSERT INTO candidate_sources (id, program, patch) VALUES (?1, ?2, ?3)";

// Parameters ?1..?9 are the result (BindResult), ?10 completed_unix, ?11 id.
inline constexpr char kCompleteSql[] =
    "UPDATE candidate_records SET status = 'done', outcome = ?1, score = ?2, metrics = ?3, "
    "features = ?4, feedback = ?5, artifacts = ?6, stage = ?7, eval_seconds = ?8, "
    "duplicate_of = ?9, completed_unix = ?10 WHERE id = ?11 AND status = 'pending'";

// Binds all of kInsertRecordSql. For a pending candidate (`done` false) the
// result columns and completed_unix are NULL.
void BindRecord(sqlite::Statement& stmt, const Candidate& c, bool done, double completed_unix);

// Binds all of kInsertSourcesSql.
void BindSources(sqlite::Statement& stmt, const Candidate& c);

// Binds outcome..duplicate_of (nine parameters) starting at `first`.
void BindResult(sqlite::Statement& stmt, int first, const EvalResult& result,
                CandidateId duplicate_of);

// Decodes the current row of a "SELECT " CRUCIBLE_CANDIDATE_COLUMNS query. kDataLoss (naming
// `path`, the candidate id and the column) if a value is malformed.
StatusOr<CandidateRow> ReadRow(const sqlite::Statement& stmt, const std::string& path);

// The columns of `llm_notes`, in the order ReadLlmNote expects them.
#define CRUCIBLE_LLM_NOTE_COLUMNS "id, evaluated, model, call_id, note, created_unix"

// Decodes the first six columns of a "SELECT " CRUCIBLE_LLM_NOTE_COLUMNS query.
LlmNoteRecord ReadLlmNote(const sqlite::Statement& stmt);

// Reports a row a multi-row read skips (`why` from ReadRow) to `sink`, or as
// a warning line on stderr when `sink` is null.
void ReportSkippedRow(const std::function<void(const Status&)>& sink, const Status& why);

}  // namespace crucible::store_row

#endif  // CRUCIBLE_STORE_CANDIDATE_ROW_H_
