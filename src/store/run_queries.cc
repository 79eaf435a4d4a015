#include "store/run_queries.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iterator>

#include "store/candidate_row.h"
#include "store/objective_sql.h"
#include "store/schema.h"
#include "store/sqlite.h"

namespace crucible {
namespace {

namespace fs = std::filesystem;

std::optional<double> OptDouble(const sqlite::Statement& s, int col) {
  if (s.ColumnIsNull(col)) return std::nullopt;
  return s.ColumnDouble(col);
}

std::optional<int64_t> OptInt(const sqlite::Statement& s, int col) {
  if (s.ColumnIsNull(col)) return std::nullopt;
  return s.ColumnInt64(col);
}

}  // namespace

Status TableQuery::Validate() const {
  static const char* kSorts[] = {"id", "value", "island", "generation", "outcome", "proposer"};
  if (std::find(std::begin(kSorts), std::end(kSorts), sort) == std::end(kSorts)) {
    return InvalidArgumentError(fmt::format(
        "sort must be one of id, value, island, generation, outcome, proposer (got '{}')", sort));
  }
  if (offset < 0) return InvalidArgumentError(fmt::format("offset must be >= 0 (got {})", offset));
  if (limit < 1 || limit > 500) {
    return InvalidArgumentError(fmt::format("limit must be in [1, 500] (got {})", limit));
  }
  return Status::Ok();
}

RunQueries::~RunQueries() = default;

StatusOr<std::unique_ptr<RunQueries>> RunQueries::Open(const std::string& db_path,
                                                       Objective objective,
                                                       std::string final_stage) {
  std::unique_ptr<RunQueries> q(new RunQueries());
  q->path_ = db_path;
  q->objective_ = std::move(objective);
  q->final_stage_ = std::move(final_stage);
  q->value_ = store_sql::ValueExpr(q->objective_);
  // Same open rule as RunStore: an immutable snapshot when there is no WAL
  // and we could not create one (finished run, read-only directory).
  const bool immutable = store_schema::NeedsImmutableOpen(db_path);
  ASSIGN_OR_RETURN(q->db_, sqlite::Database::Open(db_path, sqlite::OpenMode::kReadOnly,
                                                  immutable ? "immutable=1" : ""));
  return q;
}

StatusOr<int64_t> RunQueries::Count(const std::string& sql) {
  ASSIGN_OR_RETURN(sqlite::Statement s, db_->Prepare(sql));
  ASSIGN_OR_RETURN(bool row, s.Step());
  return row ? s.ColumnInt64(0) : 0;
}

StatusOr<int64_t> RunQueries::CountDone() {
  return Count("SELECT count(*) FROM candidate_records WHERE outcome IS NOT NULL");
}

StatusOr<int64_t> RunQueries::CountPending() {
  return Count("SELECT count(*) FROM candidate_records WHERE status = 'pending'");
}

StatusOr<int64_t> RunQueries::CountOk() {
  return Count("SELECT count(*) FROM candidate_records WHERE outcome = 'ok'");
}

StatusOr<std::vector<int64_t>> RunQueries::TopIds(int k) {
  ASSIGN_OR_RETURN(sqlite::Statement s,
                   db_->Prepare(store_sql::BestIdsSql(objective_, final_stage_, k)));
  std::vector<int64_t> ids;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    ids.push_back(s.ColumnInt64(0));
  }
  return ids;
}

#define SERIES_COLUMNS \
  "SELECT r.id, r.parent_id, r.island, r.generation, r.outcome, {}, r.completed_unix "

namespace {
SeriesPoint ReadPoint(const sqlite::Statement& s) {
  SeriesPoint p;
  p.id = s.ColumnInt64(0);
  p.parent_id = s.ColumnIsNull(1) ? -1 : s.ColumnInt64(1);
  p.island = static_cast<int>(s.ColumnInt64(2));
  p.generation = static_cast<int>(s.ColumnInt64(3));
  p.outcome = s.ColumnString(4);
  p.value = OptDouble(s, 5);
  p.completed_unix = s.ColumnDouble(6);
  return p;
}
}  // namespace

StatusOr<std::optional<SeriesPoint>> RunQueries::Point(int64_t id) {
  ASSIGN_OR_RETURN(
      sqlite::Statement s,
      db_->Prepare(fmt::format(SERIES_COLUMNS "FROM candidate_records r WHERE r.id = ?", value_)));
  s.BindInt64(1, id);
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<SeriesPoint>();
  return std::optional<SeriesPoint>(ReadPoint(s));
}

StatusOr<std::vector<SeriesPoint>> RunQueries::Series() {
  ASSIGN_OR_RETURN(
      sqlite::Statement s,
      db_->Prepare(fmt::format(SERIES_COLUMNS "FROM candidate_records r WHERE r.status = 'done' "
                                              "ORDER BY r.completed_unix, r.id",
                               value_)));
  std::vector<SeriesPoint> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(ReadPoint(s));
  }
  return out;
}

StatusOr<std::vector<std::pair<std::string, std::string>>> RunQueries::StateWithPrefix(
    const std::string& prefix) {
  ASSIGN_OR_RETURN(sqlite::Statement s,
                   db_->Prepare("SELECT key, value FROM state WHERE substr(key, 1, ?1) = ?2"));
  s.BindInt64(1, static_cast<int64_t>(prefix.size()));
  s.BindText(2, prefix);
  std::vector<std::pair<std::string, std::string>> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.emplace_back(s.ColumnString(0), s.ColumnString(1));
  }
  return out;
}

StatusOr<TablePage> RunQueries::Table(const TableQuery& q) {
  RETURN_IF_ERROR(q.Validate());
  std::string where = "1";
  std::vector<std::string> texts;
  if (!q.outcome.empty()) {
    if (q.outcome == "pending") {
      where += " AND r.status = 'pending'";
    } else {
      where += " AND r.outcome = ?";
      texts.push_back(q.outcome);
    }
  }
  if (!q.proposer.empty()) {
    where += " AND r.proposer = ?";
    texts.push_back(q.proposer);
  }
  if (q.island) where += fmt::format(" AND r.island = {}", *q.island);
  const char* dir = q.descending ? "DESC" : "ASC";
  std::string order;
  if (q.sort == "value") {
    // Candidates without a value sort last whichever the direction.
    order = fmt::format("v IS NULL, v {}, r.id", dir);
  } else if (q.sort == "id") {
    order = fmt::format("r.id {}", dir);
  } else {
    order = fmt::format("r.{} {}, r.id", q.sort, dir);
  }
  TablePage page;
  ASSIGN_OR_RETURN(sqlite::Statement c,
                   db_->Prepare("SELECT count(*) FROM candidate_records r WHERE " + where));
  for (size_t i = 0; i < texts.size(); ++i) c.BindText(static_cast<int>(i + 1), texts[i]);
  ASSIGN_OR_RETURN(bool crow, c.Step());
  page.total = crow ? c.ColumnInt64(0) : 0;
  ASSIGN_OR_RETURN(
      sqlite::Statement s,
      db_->Prepare(fmt::format(
          "SELECT r.id, r.parent_id, r.island, r.generation, r.status, r.outcome, {} AS v, "
          "r.proposer, r.operators, r.eval_seconds, r.created_unix FROM candidate_records r "
          "WHERE {} ORDER BY {} LIMIT {} OFFSET {}",
          value_, where, order, q.limit, q.offset)));
  for (size_t i = 0; i < texts.size(); ++i) s.BindText(static_cast<int>(i + 1), texts[i]);
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    TableRow t;
    t.id = s.ColumnInt64(0);
    t.parent_id = OptInt(s, 1);
    t.island = static_cast<int>(s.ColumnInt64(2));
    t.generation = static_cast<int>(s.ColumnInt64(3));
    t.outcome = s.ColumnString(4) == "pending" ? std::string("pending") : s.ColumnString(5);
    t.value = OptDouble(s, 6);
    t.proposer = s.ColumnString(7);
    t.operators_json = s.ColumnString(8);
    t.eval_seconds = OptDouble(s, 9);
    t.created_unix = s.ColumnDouble(10);
    page.rows.push_back(std::move(t));
  }
  return page;
}

StatusOr<CandidateColumns> RunQueries::CandidateDetail(int64_t id) {
  ASSIGN_OR_RETURN(
      sqlite::Statement s,
      db_->Prepare(fmt::format(
          "SELECT r.id, r.status, r.parent_id, r.inspiration_ids, r.island, r.generation, r.seed, "
          "r.source_hash, src.program, src.patch, r.proposer, r.operators, r.proposal_detail, "
          "r.propose_seconds, r.outcome, {}, r.metrics, r.features, r.feedback, r.artifacts, "
          "r.stage, r.eval_seconds, r.duplicate_of, r.created_unix, r.completed_unix, r.score "
          "FROM candidate_records r JOIN candidate_sources src ON src.id = r.id WHERE r.id = ?",
          value_)));
  s.BindInt64(1, id);
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return NotFoundError(fmt::format("{}: no candidate {}", path_, id));
  CandidateColumns c;
  c.id = s.ColumnInt64(0);
  c.status = s.ColumnString(1);
  c.parent_id = OptInt(s, 2);
  c.inspiration_ids_json = s.ColumnString(3);
  c.island = static_cast<int>(s.ColumnInt64(4));
  c.generation = static_cast<int>(s.ColumnInt64(5));
  c.seed = s.ColumnString(6);
  c.source_hash = s.ColumnString(7);
  c.program_json = s.ColumnString(8);
  c.patch = s.ColumnString(9);
  c.proposer = s.ColumnString(10);
  c.operators_json = s.ColumnString(11);
  c.proposal_detail_json = s.ColumnString(12);
  c.propose_seconds = s.ColumnDouble(13);
  if (!s.ColumnIsNull(14)) c.outcome = s.ColumnString(14);
  c.value = OptDouble(s, 15);
  c.metrics_json = s.ColumnString(16);
  c.features_json = s.ColumnString(17);
  c.feedback = s.ColumnString(18);
  c.artifacts_json = s.ColumnString(19);
  c.stage = s.ColumnString(20);
  c.eval_seconds = OptDouble(s, 21);
  c.duplicate_of = OptInt(s, 22);
  c.created_unix = s.ColumnDouble(23);
  c.completed_unix = OptDouble(s, 24);
  c.score = OptDouble(s, 25);
  if (c.parent_id) {
    ASSIGN_OR_RETURN(std::optional<SeriesPoint> p, Point(*c.parent_id));
    if (p) c.parent_value = p->value;
  }
  return c;
}

StatusOr<bool> RunQueries::HasLlmCalls() {
  // Schema 1 has no llm_calls table; schema 2 has one in every run, empty
  // when no LLM proposed.
  ASSIGN_OR_RETURN(int64_t tables, Count("SELECT count(*) FROM sqlite_master WHERE type = "
                                         "'table' AND name = 'llm_calls'"));
  if (tables == 0) return false;
  ASSIGN_OR_RETURN(int64_t any, Count("SELECT EXISTS (SELECT 1 FROM llm_calls)"));
  return any != 0;
}

StatusOr<LlmNotesPage> RunQueries::LlmNotes(int64_t limit) {
  LlmNotesPage page;
  ASSIGN_OR_RETURN(int64_t tables, Count("SELECT count(*) FROM sqlite_master WHERE type = "
                                         "'table' AND name = 'llm_notes'"));
  if (tables == 0) return page;  // schema 1 to 3
  // One statement, so the count and the rows come from the same snapshot
  // (no row: no note, total 0).
  ASSIGN_OR_RETURN(sqlite::Statement s,
                   db_->Prepare("SELECT " CRUCIBLE_LLM_NOTE_COLUMNS ", "
                                "(SELECT count(*) FROM llm_notes) "
                                "FROM llm_notes ORDER BY id DESC LIMIT ?"));
  s.BindInt64(1, std::max<int64_t>(limit, 0));
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    page.total = s.ColumnInt64(6);
    page.notes.push_back(store_row::ReadLlmNote(s));
  }
  return page;
}

StatusOr<EventSample> RunQueries::EventsOfKind(const std::string& kind, int64_t limit) {
  EventSample out;
  std::vector<int64_t> seqs;
  {
    ASSIGN_OR_RETURN(sqlite::Statement s,
                     db_->Prepare("SELECT seq FROM events WHERE kind = ? ORDER BY seq"));
    s.BindText(1, kind);
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      seqs.push_back(s.ColumnInt64(0));
    }
  }
  out.total = static_cast<int64_t>(seqs.size());
  if (seqs.empty()) return out;
  // Evenly spread indexes, the first and the last included.
  const int64_t n = std::min<int64_t>(std::max<int64_t>(limit, 2), out.total);
  std::vector<int64_t> chosen;
  for (int64_t k = 0; k < n; ++k) {
    const int64_t index = n == 1 ? 0 : k * (out.total - 1) / (n - 1);
    if (chosen.empty() || chosen.back() != seqs[index]) chosen.push_back(seqs[index]);
  }
  ASSIGN_OR_RETURN(sqlite::Statement s,
                   db_->Prepare("SELECT seq, unix_time, json FROM events WHERE seq = ?"));
  for (int64_t seq : chosen) {
    s.Reset();
    s.BindInt64(1, seq);
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) continue;
    out.events.push_back({s.ColumnInt64(0), s.ColumnDouble(1), s.ColumnString(2)});
  }
  return out;
}

StatusOr<std::vector<LlmCallRecord>> RunQueries::LlmCallsOf(int64_t candidate_id) {
  std::vector<LlmCallRecord> out;
  ASSIGN_OR_RETURN(int64_t tables, Count("SELECT count(*) FROM sqlite_master WHERE type = "
                                         "'table' AND name = 'llm_calls'"));
  if (tables == 0) return out;
  ASSIGN_OR_RETURN(
      sqlite::Statement l,
      db_->Prepare("SELECT id, attempt, model, mode, prompt, response, prompt_tokens, "
                   "completion_tokens, cost, latency_seconds, outcome, error, created_unix "
                   "FROM llm_calls WHERE candidate_id = ? ORDER BY id"));
  l.BindInt64(1, candidate_id);
  for (;;) {
    ASSIGN_OR_RETURN(bool row, l.Step());
    if (!row) break;
    LlmCallRecord c;
    c.id = l.ColumnInt64(0);
    c.candidate_id = candidate_id;
    c.attempt = static_cast<int>(l.ColumnInt64(1));
    c.model = l.ColumnString(2);
    c.mode = l.ColumnString(3);
    c.prompt = l.ColumnString(4);
    c.response = l.ColumnString(5);
    c.prompt_tokens = OptInt(l, 6);
    c.completion_tokens = OptInt(l, 7);
    c.cost = OptDouble(l, 8);
    c.latency_seconds = l.ColumnDouble(9);
    c.outcome = l.ColumnString(10);
    c.error = l.ColumnString(11);
    c.created_unix = l.ColumnDouble(12);
    out.push_back(std::move(c));
  }
  return out;
}

StatusOr<std::vector<OperatorStats>> RunQueries::Operators() {
  const std::string better = objective_.maximize() ? ">" : "<";
  // One row per (candidate, operator); candidates without operators count
  // under their proposer's name.
  const std::string sql = fmt::format(
      "WITH kids AS ("
      "  SELECT r.id, r.proposer, r.operators, r.outcome, {0} AS v, r.parent_id"
      "  FROM candidate_records r WHERE r.status = 'done' AND r.parent_id IS NOT NULL),"
      " judged AS ("
      "  SELECT k.*, (k.v IS NOT NULL) AS valid,"
      "         (k.v IS NOT NULL AND pv.v IS NOT NULL AND k.v {1} pv.v) AS improved"
      "  FROM kids k LEFT JOIN (SELECT r.id, {0} AS v FROM candidate_records r) pv"
      "    ON pv.id = k.parent_id)"
      " SELECT j.proposer, coalesce(o.value, '') AS op, count(*), sum(j.valid), sum(j.improved)"
      " FROM judged j LEFT JOIN json_each(CASE WHEN json_valid(j.operators) THEN j.operators"
      "   ELSE '[]' END) o"
      " GROUP BY j.proposer, op ORDER BY count(*) DESC",
      value_, better);
  ASSIGN_OR_RETURN(sqlite::Statement s, db_->Prepare(sql));
  std::vector<OperatorStats> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back({s.ColumnString(0), s.ColumnString(1), s.ColumnInt64(2), s.ColumnInt64(3),
                   s.ColumnInt64(4)});
  }
  return out;
}

StatusOr<std::vector<ModelStats>> RunQueries::Models() {
  std::vector<ModelStats> out;
  ASSIGN_OR_RETURN(bool has_calls, HasLlmCalls());
  if (!has_calls) return out;
  const std::string sql = fmt::format(
      "WITH calls AS (SELECT model, count(*) AS n, sum(outcome = 'applied') AS applied,"
      "   sum(coalesce(prompt_tokens, 0)) AS pt, sum(coalesce(completion_tokens, 0)) AS ct,"
      "   sum(cost) AS cost, avg(latency_seconds) AS lat FROM llm_calls GROUP BY model),"
      " kids AS (SELECT DISTINCT l.model, r.id, r.parent_id, {0} AS v FROM llm_calls l"
      "   JOIN candidate_records r ON r.id = l.candidate_id WHERE r.status = 'done'),"
      " judged AS (SELECT k.model, count(*) AS children, sum(k.v IS NOT NULL) AS valid,"
      "   sum(k.v IS NOT NULL AND pv.v IS NOT NULL AND k.v {1} pv.v) AS improved"
      "   FROM kids k LEFT JOIN (SELECT r.id, {0} AS v FROM candidate_records r) pv"
      "   ON pv.id = k.parent_id GROUP BY k.model)"
      " SELECT c.model, c.n, c.applied, c.pt, c.ct, c.cost, c.lat,"
      "   coalesce(j.children, 0), coalesce(j.valid, 0), coalesce(j.improved, 0)"
      " FROM calls c LEFT JOIN judged j ON j.model = c.model ORDER BY c.n DESC",
      value_, objective_.maximize() ? ">" : "<");
  ASSIGN_OR_RETURN(sqlite::Statement m, db_->Prepare(sql));
  for (;;) {
    ASSIGN_OR_RETURN(bool row, m.Step());
    if (!row) break;
    ModelStats s;
    s.model = m.ColumnString(0);
    s.calls = m.ColumnInt64(1);
    s.applied = m.ColumnInt64(2);
    s.prompt_tokens = m.ColumnInt64(3);
    s.completion_tokens = m.ColumnInt64(4);
    s.cost = OptDouble(m, 5);
    s.mean_latency_seconds = OptDouble(m, 6);
    s.children = m.ColumnInt64(7);
    s.valid = m.ColumnInt64(8);
    s.improved = m.ColumnInt64(9);
    out.push_back(std::move(s));
  }
  return out;
}

StatusOr<std::vector<Candidate>> RunQueries::ArchiveReplayInput(bool with_program) {
  // The columns of CRUCIBLE_CANDIDATE_COLUMNS, in its order, with the ones
  // the entry rule never reads replaced by empty values of the right shape,
  // so that store_row::ReadRow decodes them exactly as the engine's resume
  // (RunStore::LoadCandidates) does.
  const std::string sql = fmt::format(
      "SELECT r.id, r.status, r.parent_id, '[]', r.island, r.generation, r.seed, r.source_hash, "
      "{}, '', r.proposer, '[]', '', r.propose_seconds, r.outcome, r.score, r.metrics, "
      "r.features, '', '{{}}', r.stage, r.eval_seconds, r.duplicate_of, r.created_unix, "
      "r.completed_unix FROM candidate_records r {} WHERE r.outcome = 'ok' ORDER BY r.id",
      with_program ? "src.program" : "'[]'",
      with_program ? "JOIN candidate_sources src ON src.id = r.id" : "");
  ASSIGN_OR_RETURN(sqlite::Statement s, db_->Prepare(sql));
  std::vector<Candidate> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    StatusOr<CandidateRow> decoded = store_row::ReadRow(s, path_);
    if (!decoded.ok() && decoded.status().code() == StatusCode::kDataLoss) {
      // As RunStore::LoadCandidates: the engine's resume skips it too.
      store_row::ReportSkippedRow(nullptr, decoded.status());
      continue;
    }
    if (!decoded.ok()) return decoded.status();
    out.push_back(std::move(decoded->candidate));
  }
  return out;
}

StatusOr<std::vector<int64_t>> RunQueries::Ancestors(int64_t id) {
  ASSIGN_OR_RETURN(sqlite::Statement s,
                   db_->Prepare("WITH RECURSIVE up(id, parent_id, depth) AS ("
                                " SELECT id, parent_id, 0 FROM candidate_records WHERE id = ?"
                                " UNION ALL SELECT c.id, c.parent_id, up.depth + 1"
                                " FROM candidate_records c JOIN up ON c.id = up.parent_id"
                                " WHERE up.depth < 100000)"
                                " SELECT id FROM up ORDER BY depth"));
  s.BindInt64(1, id);
  std::vector<int64_t> path;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    path.push_back(s.ColumnInt64(0));
  }
  return path;
}

}  // namespace crucible
