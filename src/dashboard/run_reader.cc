#include "dashboard/run_reader.h"

#include <fmt/format.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>

#include "archive/archive.h"
#include "core/regions.h"
#include "dashboard/redact.h"
#include "store/run_store.h"
#include "store/sqlite.h"

namespace crucible {
namespace {

// Whether the run recorded any LLM call: schema 1 has no llm_calls table,
// schema 2 has one in every run, empty when no LLM proposed.
StatusOr<bool> HasLlmCalls(const sqlite::Database& db) {
  ASSIGN_OR_RETURN(sqlite::Statement t,
                   db.Prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                              "name = 'llm_calls'"));
  ASSIGN_OR_RETURN(bool row, t.Step());
  if (!row || t.ColumnInt64(0) == 0) return false;
  ASSIGN_OR_RETURN(sqlite::Statement any, db.Prepare("SELECT EXISTS (SELECT 1 FROM llm_calls)"));
  ASSIGN_OR_RETURN(bool any_row, any.Step());
  return any_row && any.ColumnInt64(0) != 0;
}

namespace fs = std::filesystem;
using nlohmann::json;

std::string SqlQuote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

// JSON text from a column; null when empty or malformed.
json ParseOr(std::string_view text, json fallback = nullptr) {
  if (text.empty()) return fallback;
  json j = json::parse(text, nullptr, false);
  return j.is_discarded() ? fallback : j;
}

std::optional<double> OptDouble(const sqlite::Statement& s, int col) {
  if (s.ColumnIsNull(col)) return std::nullopt;
  return s.ColumnDouble(col);
}

json JsonValue(std::optional<double> v) { return v ? json(*v) : json(nullptr); }

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

RunReader::~RunReader() = default;

StatusOr<std::unique_ptr<RunReader>> RunReader::Open(const std::string& run_dir) {
  if (!fs::is_directory(run_dir)) {
    return NotFoundError(fmt::format("run directory '{}' does not exist", run_dir));
  }
  const fs::path db_path = fs::path(run_dir) / "run.db";
  if (!fs::exists(db_path)) {
    return NotFoundError(fmt::format("'{}' is not a crucible run directory (no run.db)", run_dir));
  }
  std::unique_ptr<RunReader> r(new RunReader());
  r->run_dir_ = run_dir;
  // RunStore checks the application id and schema version and gives the
  // documented errors for a foreign, corrupt or newer file.
  ASSIGN_OR_RETURN(r->store_, RunStore::Open(db_path.string(), RunStore::Mode::kReadOnly));
  if (!r->store_->metadata().config_json.empty()) {
    ASSIGN_OR_RETURN(r->config_, ConfigFromJson(r->store_->metadata().config_json));
  }
  // Same open rule as RunStore: an immutable snapshot when there is no WAL
  // and we could not create one (finished run, read-only directory).
  const bool immutable = !fs::exists(db_path.string() + "-wal") &&
                         access(fs::path(run_dir).c_str(), W_OK) != 0;
  ASSIGN_OR_RETURN(r->db_, sqlite::Database::Open(db_path.string(), sqlite::OpenMode::kReadOnly,
                                                  immutable ? "immutable=1" : ""));
  RETURN_IF_ERROR(r->db_->Exec("PRAGMA busy_timeout = 5000", "set busy timeout"));
  return r;
}

std::string RunReader::ValueExpr() const {
  if (config_.objective.key == "score") return "(CASE WHEN r.outcome = 'ok' THEN r.score END)";
  const std::string path = SqlQuote(fmt::format("$.\"{}\"", config_.objective.key));
  return fmt::format(
      "(CASE WHEN r.outcome = 'ok' AND json_type(r.metrics, {0}) IN ('real', 'integer') "
      "THEN json_extract(r.metrics, {0}) END)",
      path);
}

std::string RunReader::RankExpr() const {
  // Only used under `r.outcome = 'ok'`, where the value is the score column.
  return config_.objective.key == "score" ? "r.score" : ValueExpr();
}

StatusOr<std::optional<int64_t>> RunReader::BestIdLocked() {
  const std::string sql = fmt::format(
      "SELECT r.id FROM candidate_records r WHERE r.outcome = 'ok' AND {0} IS NOT NULL "
      "ORDER BY {0} {1}, r.id LIMIT 1",
      RankExpr(), config_.objective.maximize() ? "DESC" : "ASC");
  ASSIGN_OR_RETURN(sqlite::Statement s, db_->Prepare(sql));
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<int64_t>();
  return std::optional<int64_t>(s.ColumnInt64(0));
}

StatusOr<nlohmann::json> RunReader::Summary() {
  std::lock_guard lock(mu_);
  json j;
  const RunMetadata& m = store_->metadata();
  j["run_dir"] = run_dir_;
  j["name"] = fs::path(run_dir_).filename().string();
  j["problem"] = m.problem_name;
  j["crucible_version"] = m.crucible_version;
  j["created_unix"] = m.created_unix;
  j["seed"] = std::to_string(m.seed);
  j["objective"] = {{"key", config_.objective.key}, {"maximize", config_.objective.maximize()}};
  j["islands"] = config_.archive.num_islands;
  if (config_.budget.evaluations) j["budget_evaluations"] = *config_.budget.evaluations;
  {
    ASSIGN_OR_RETURN(sqlite::Statement s,
                     db_->Prepare("SELECT outcome, count(*) FROM candidate_records "
                                  "WHERE outcome IS NOT NULL GROUP BY outcome"));
    json outcomes = json::object();
    int64_t done = 0;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      outcomes[s.ColumnString(0)] = s.ColumnInt64(1);
      done += s.ColumnInt64(1);
    }
    j["outcomes"] = outcomes;
    j["done"] = done;
  }
  {
    ASSIGN_OR_RETURN(sqlite::Statement s,
                     db_->Prepare("SELECT count(*) FROM candidate_records WHERE status = 'pending'"));
    ASSIGN_OR_RETURN(bool row, s.Step());
    j["pending"] = row ? s.ColumnInt64(0) : 0;
    j["total"] = j["done"].get<int64_t>() + j["pending"].get<int64_t>();
  }
  ASSIGN_OR_RETURN(std::optional<int64_t> best, BestIdLocked());
  j["best"] = nullptr;
  if (best) {
    ASSIGN_OR_RETURN(
        sqlite::Statement s,
        db_->Prepare(fmt::format("SELECT {}, r.generation, r.island FROM candidate_records r "
                                 "WHERE r.id = ?",
                                 ValueExpr())));
    s.BindInt64(1, *best);
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (row) {
      json b = {{"id", *best}, {"value", JsonValue(OptDouble(s, 0))},
                {"generation", s.ColumnInt64(1)}, {"island", s.ColumnInt64(2)}};
      ASSIGN_OR_RETURN(std::optional<std::string> h, store_->GetState(fmt::format("heldout:{}", *best)));
      if (h) {
        json hj = ParseOr(*h);
        if (config_.objective.key == "score") {
          b["heldout"] = hj.is_object() && hj.contains("score") ? hj["score"] : json(nullptr);
        } else {
          b["heldout"] = hj.is_object() && hj.contains("metrics") && hj["metrics"].is_object() &&
                                 hj["metrics"].contains(config_.objective.key)
                             ? hj["metrics"][config_.objective.key]
                             : json(nullptr);
        }
      }
      j["best"] = b;
    }
  }
  j["has_llm_calls"] = false;
  {
    ASSIGN_OR_RETURN(has_llm_calls_, HasLlmCalls(*db_));
    j["has_llm_calls"] = has_llm_calls_;
  }
  return j;
}

StatusOr<int64_t> RunReader::DoneCount() {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(sqlite::Statement s,
                   db_->Prepare("SELECT count(*) FROM candidate_records WHERE outcome IS NOT NULL"));
  ASSIGN_OR_RETURN(bool row, s.Step());
  return row ? s.ColumnInt64(0) : 0;
}

StatusOr<Series> RunReader::LoadSeries() {
  std::lock_guard lock(mu_);
  Series out;
  ASSIGN_OR_RETURN(
      sqlite::Statement s,
      db_->Prepare(fmt::format("SELECT r.id, r.parent_id, r.island, r.generation, r.outcome, {}, "
                               "r.completed_unix FROM candidate_records r WHERE r.status = 'done' "
                               "ORDER BY r.completed_unix, r.id",
                               ValueExpr())));
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    SeriesPoint p;
    p.id = s.ColumnInt64(0);
    p.parent_id = s.ColumnIsNull(1) ? -1 : s.ColumnInt64(1);
    p.island = static_cast<int>(s.ColumnInt64(2));
    p.generation = static_cast<int>(s.ColumnInt64(3));
    p.outcome = s.ColumnString(4);
    p.value = OptDouble(s, 5);
    p.completed_unix = s.ColumnDouble(6);
    out.points.push_back(std::move(p));
  }
  ASSIGN_OR_RETURN(sqlite::Statement h,
                   db_->Prepare("SELECT key, value FROM state WHERE key LIKE 'heldout:%'"));
  for (;;) {
    ASSIGN_OR_RETURN(bool row, h.Step());
    if (!row) break;
    const std::string key = h.ColumnString(0);
    json hj = ParseOr(h.ColumnText(1));
    if (!hj.is_object()) continue;
    json v = config_.objective.key == "score"
                 ? hj.value("score", json(nullptr))
                 : (hj.contains("metrics") && hj["metrics"].is_object()
                        ? hj["metrics"].value(config_.objective.key, json(nullptr))
                        : json(nullptr));
    if (!v.is_number()) continue;
    try {
      out.heldout.push_back({std::stoll(key.substr(8)), v.get<double>()});
    } catch (const std::exception&) {
    }
  }
  return out;
}

StatusOr<nlohmann::json> RunReader::Table(const TableQuery& q) {
  RETURN_IF_ERROR(q.Validate());
  std::lock_guard lock(mu_);
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
  std::string order;
  if (q.sort == "value") {
    // Candidates without a value sort last whichever the direction.
    order = fmt::format("v IS NULL, v {}, r.id", q.descending ? "DESC" : "ASC");
  } else if (q.sort == "id") {
    order = fmt::format("r.id {}", q.descending ? "DESC" : "ASC");
  } else {
    order = fmt::format("r.{} {}, r.id", q.sort, q.descending ? "DESC" : "ASC");
  }
  json out;
  {
    ASSIGN_OR_RETURN(sqlite::Statement s,
                     db_->Prepare("SELECT count(*) FROM candidate_records r WHERE " + where));
    for (size_t i = 0; i < texts.size(); ++i) s.BindText(static_cast<int>(i + 1), texts[i]);
    ASSIGN_OR_RETURN(bool row, s.Step());
    out["total"] = row ? s.ColumnInt64(0) : 0;
  }
  ASSIGN_OR_RETURN(
      sqlite::Statement s,
      db_->Prepare(fmt::format(
          "SELECT r.id, r.parent_id, r.island, r.generation, r.status, r.outcome, {} AS v, "
          "r.proposer, r.operators, r.eval_seconds, r.created_unix FROM candidate_records r "
          "WHERE {} ORDER BY {} LIMIT {} OFFSET {}",
          ValueExpr(), where, order, q.limit, q.offset)));
  for (size_t i = 0; i < texts.size(); ++i) s.BindText(static_cast<int>(i + 1), texts[i]);
  json rows = json::array();
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    rows.push_back({{"id", s.ColumnInt64(0)},
                    {"parent_id", s.ColumnIsNull(1) ? json(nullptr) : json(s.ColumnInt64(1))},
                    {"island", s.ColumnInt64(2)},
                    {"generation", s.ColumnInt64(3)},
                    {"outcome", s.ColumnString(4) == "pending" ? std::string("pending") : s.ColumnString(5)},
                    {"value", JsonValue(OptDouble(s, 6))},
                    {"proposer", s.ColumnString(7)},
                    {"operators", ParseOr(s.ColumnText(8), json::array())},
                    {"eval_seconds", JsonValue(OptDouble(s, 9))},
                    {"created_unix", s.ColumnDouble(10)}});
  }
  out["rows"] = rows;
  return out;
}

StatusOr<nlohmann::json> RunReader::Candidate(int64_t id) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(
      sqlite::Statement s,
      db_->Prepare(fmt::format(
          "SELECT r.id, r.status, r.parent_id, r.inspiration_ids, r.island, r.generation, r.seed, "
          "r.source_hash, src.program, src.patch, r.proposer, r.operators, r.proposal_detail, "
          "r.propose_seconds, r.outcome, {}, r.metrics, r.features, r.feedback, r.artifacts, "
          "r.stage, r.eval_seconds, r.duplicate_of, r.created_unix, r.completed_unix, r.score "
          "FROM candidate_records r JOIN candidate_sources src ON src.id = r.id WHERE r.id = ?",
          ValueExpr())));
  s.BindInt64(1, id);
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return NotFoundError(fmt::format("run {} has no candidate {}", run_dir_, id));
  json c;
  c["id"] = s.ColumnInt64(0);
  c["status"] = s.ColumnString(1);
  c["parent_id"] = s.ColumnIsNull(2) ? json(nullptr) : json(s.ColumnInt64(2));
  c["inspiration_ids"] = ParseOr(s.ColumnText(3), json::array());
  c["island"] = s.ColumnInt64(4);
  c["generation"] = s.ColumnInt64(5);
  c["seed"] = s.ColumnString(6);
  c["source_hash"] = s.ColumnString(7);
  json program = ParseOr(s.ColumnText(8), json::array());
  c["program"] = program;
  c["patch"] = Redact(s.ColumnText(9));
  c["proposer"] = s.ColumnString(10);
  c["operators"] = ParseOr(s.ColumnText(11), json::array());
  c["proposal_detail"] = ParseOr(Redact(s.ColumnText(12)));
  c["propose_seconds"] = s.ColumnDouble(13);
  c["outcome"] = s.ColumnIsNull(14) ? json(nullptr) : json(s.ColumnString(14));
  c["value"] = JsonValue(OptDouble(s, 15));
  c["metrics"] = ParseOr(s.ColumnText(16), json::object());
  c["features"] = ParseOr(s.ColumnText(17), json::object());
  c["feedback"] = Redact(s.ColumnText(18));
  json artifacts = ParseOr(s.ColumnText(19), json::object());
  for (auto& [k, v] : artifacts.items()) {
    if (v.is_string()) v = Redact(v.get<std::string>());
  }
  c["artifacts"] = artifacts;
  c["stage"] = s.ColumnString(20);
  c["eval_seconds"] = JsonValue(OptDouble(s, 21));
  c["duplicate_of"] = s.ColumnIsNull(22) ? json(nullptr) : json(s.ColumnInt64(22));
  c["created_unix"] = s.ColumnDouble(23);
  c["completed_unix"] = JsonValue(OptDouble(s, 24));
  c["score"] = JsonValue(OptDouble(s, 25));
  c["objective"] = {{"key", config_.objective.key}, {"maximize", config_.objective.maximize()}};
  ASSIGN_OR_RETURN(std::optional<std::string> h, store_->GetState(fmt::format("heldout:{}", id)));
  c["heldout"] = h ? ParseOr(*h) : json(nullptr);
  // The parent's value, for "changed by".
  c["parent_value"] = nullptr;
  if (!c["parent_id"].is_null()) {
    ASSIGN_OR_RETURN(sqlite::Statement p,
                     db_->Prepare(fmt::format(
                         "SELECT {} FROM candidate_records r WHERE r.id = ?", ValueExpr())));
    p.BindInt64(1, c["parent_id"].get<int64_t>());
    ASSIGN_OR_RETURN(bool prow, p.Step());
    if (prow) c["parent_value"] = JsonValue(OptDouble(p, 0));
  }
  // LLM calls (schema version 2): prompt and response of each.
  json calls = json::array();
  ASSIGN_OR_RETURN(sqlite::Statement t,
                   db_->Prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                                "name = 'llm_calls'"));
  ASSIGN_OR_RETURN(bool trow, t.Step());
  if (trow && t.ColumnInt64(0) > 0) {
    ASSIGN_OR_RETURN(
        sqlite::Statement l,
        db_->Prepare("SELECT id, attempt, model, mode, prompt, response, prompt_tokens, "
                     "completion_tokens, cost, latency_seconds, outcome, error FROM llm_calls "
                     "WHERE candidate_id = ? ORDER BY id"));
    l.BindInt64(1, id);
    for (;;) {
      ASSIGN_OR_RETURN(bool lrow, l.Step());
      if (!lrow) break;
      json prompt = ParseOr(Redact(l.ColumnText(4)));
      if (prompt.is_null()) prompt = Redact(l.ColumnText(4));
      calls.push_back({{"id", l.ColumnInt64(0)},
                       {"attempt", l.ColumnInt64(1)},
                       {"model", l.ColumnString(2)},
                       {"mode", l.ColumnString(3)},
                       {"prompt", prompt},
                       {"response", Redact(l.ColumnText(5))},
                       {"prompt_tokens", l.ColumnIsNull(6) ? json(nullptr) : json(l.ColumnInt64(6))},
                       {"completion_tokens", l.ColumnIsNull(7) ? json(nullptr) : json(l.ColumnInt64(7))},
                       {"cost", JsonValue(OptDouble(l, 8))},
                       {"latency_seconds", l.ColumnDouble(9)},
                       {"outcome", l.ColumnString(10)},
                       {"error", Redact(l.ColumnText(11))}});
    }
  }
  c["llm_calls"] = calls;
  return c;
}

StatusOr<nlohmann::json> RunReader::Proposers() {
  std::lock_guard lock(mu_);
  const std::string better = config_.objective.maximize() ? ">" : "<";
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
      ValueExpr(), better);
  ASSIGN_OR_RETURN(sqlite::Statement s, db_->Prepare(sql));
  json ops = json::array();
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    const int64_t n = s.ColumnInt64(2);
    ops.push_back({{"proposer", s.ColumnString(0)},
                   {"operator", s.ColumnString(1)},
                   {"children", n},
                   {"valid", s.ColumnInt64(3)},
                   {"improved", s.ColumnInt64(4)}});
  }
  json out;
  out["operators"] = ops;
  json models = json::array();
  ASSIGN_OR_RETURN(const bool has_calls, HasLlmCalls(*db_));
  out["has_llm_calls"] = has_calls;
  if (out["has_llm_calls"].get<bool>()) {
    const std::string msql = fmt::format(
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
        ValueExpr(), better);
    ASSIGN_OR_RETURN(sqlite::Statement m, db_->Prepare(msql));
    for (;;) {
      ASSIGN_OR_RETURN(bool row, m.Step());
      if (!row) break;
      models.push_back({{"model", m.ColumnString(0)},
                        {"calls", m.ColumnInt64(1)},
                        {"applied", m.ColumnInt64(2)},
                        {"prompt_tokens", m.ColumnInt64(3)},
                        {"completion_tokens", m.ColumnInt64(4)},
                        {"cost", JsonValue(OptDouble(m, 5))},
                        {"mean_latency_seconds", JsonValue(OptDouble(m, 6))},
                        {"children", m.ColumnInt64(7)},
                        {"valid", m.ColumnInt64(8)},
                        {"improved", m.ColumnInt64(9)}});
    }
  }
  out["models"] = models;
  return out;
}

StatusOr<Grid> RunReader::LoadGrid() {
  std::lock_guard lock(mu_);
  int64_t done = 0;
  {
    ASSIGN_OR_RETURN(sqlite::Statement s,
                     db_->Prepare("SELECT count(*) FROM candidate_records WHERE outcome = 'ok'"));
    ASSIGN_OR_RETURN(bool row, s.Step());
    done = row ? s.ColumnInt64(0) : 0;
  }
  if (done == grid_done_) return grid_;
  ASSIGN_OR_RETURN(std::unique_ptr<Archive> archive, Archive::Create(config_.archive));
  bool need_code = false;
  for (const FeatureDimension& d : config_.archive.features) need_code |= d.name == "code_length";
  // The program is read only when code_length is a dimension (it is computed
  // from the evolvable regions, as the engine does).
  ASSIGN_OR_RETURN(
      sqlite::Statement s,
      db_->Prepare(fmt::format(
          "SELECT r.id, r.parent_id, r.island, {}, r.metrics, r.features, {} FROM candidate_records r "
          "{} WHERE r.outcome = 'ok' ORDER BY r.completed_unix, r.id",
          ValueExpr(), need_code ? "src.program" : "''",
          need_code ? "JOIN candidate_sources src ON src.id = r.id" : "")));
  std::map<int64_t, double> values;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    if (s.ColumnIsNull(3)) continue;
    ArchiveEntry e;
    e.id = s.ColumnInt64(0);
    e.parent_id = s.ColumnIsNull(1) ? kNoCandidate : s.ColumnInt64(1);
    e.island = static_cast<int>(s.ColumnInt64(2));
    const double v = s.ColumnDouble(3);
    e.fitness = config_.objective.Fitness(v);
    values[e.id] = v;
    for (const auto& [col, target] : {std::pair{4, &e.metrics}, std::pair{5, &e.features}}) {
      json m = ParseOr(s.ColumnText(col), json::object());
      for (auto& [k, val] : m.items()) {
        if (val.is_number()) (*target)[k] = val.get<double>();
      }
    }
    if (need_code) {
      json program = ParseOr(s.ColumnText(6), json::array());
      for (const json& f : program) {
        if (!f.is_object() || !f.contains("content") || !f["content"].is_string()) continue;
        for (const std::string& text :
             EvolvableTexts(f["content"].get<std::string>(), f.value("path", std::string()))) {
          e.code_length += text.size();
        }
      }
    }
    if (e.parent_id == kNoCandidate) archive->SeedAllIslands(e);
    else archive->Insert(e);
  }
  Grid g;
  g.islands = archive->num_islands();
  for (const FeatureDimension& d : config_.archive.features) {
    g.dimensions.push_back(d.name);
    g.bins.push_back(d.bins);
  }
  for (int i = 0; i < g.islands; ++i) {
    for (const CellView& cell : archive->Grid(i)) {
      g.cells.push_back({i, cell.coords, cell.id, values[cell.id]});
    }
  }
  grid_done_ = done;
  grid_ = g;
  return g;
}

StatusOr<std::vector<int64_t>> RunReader::PathToBest() {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(std::optional<int64_t> best, BestIdLocked());
  std::vector<int64_t> path;
  if (!best) return path;
  ASSIGN_OR_RETURN(sqlite::Statement s,
                   db_->Prepare("WITH RECURSIVE up(id, parent_id, depth) AS ("
                                " SELECT id, parent_id, 0 FROM candidate_records WHERE id = ?"
                                " UNION ALL SELECT c.id, c.parent_id, up.depth + 1"
                                " FROM candidate_records c JOIN up ON c.id = up.parent_id"
                                " WHERE up.depth < 100000)"
                                " SELECT id FROM up ORDER BY depth"));
  s.BindInt64(1, *best);
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    path.push_back(s.ColumnInt64(0));
  }
  return path;
}

StatusOr<std::vector<int64_t>> RunReader::TopIds(int k) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(
      sqlite::Statement s,
      db_->Prepare(fmt::format(
          "SELECT r.id FROM candidate_records r WHERE r.outcome = 'ok' AND {0} IS NOT NULL "
          "ORDER BY {0} {1}, r.id LIMIT {2}",
          RankExpr(), config_.objective.maximize() ? "DESC" : "ASC", std::max(k, 0))));
  std::vector<int64_t> ids;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    ids.push_back(s.ColumnInt64(0));
  }
  return ids;
}

}  // namespace crucible
