#include "dashboard/run_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "archive/archive.h"
#include "archive/entry.h"
#include "dashboard/redact.h"
#include "store/run_store.h"

namespace crucible {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// JSON text from a column; null when empty or malformed.
json ParseOr(std::string_view text, json fallback = nullptr) {
  if (text.empty()) return fallback;
  json j = json::parse(text, nullptr, false);
  return j.is_discarded() ? fallback : j;
}

template <typename T>
json JsonOpt(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

// The objective's value in a held-out result (state "heldout:<id>").
json HeldoutValue(const json& hj, const std::string& key) {
  if (!hj.is_object()) return nullptr;
  if (key == "score") return hj.value("score", json(nullptr));
  return hj.contains("metrics") && hj["metrics"].is_object()
             ? hj["metrics"].value(key, json(nullptr))
             : json(nullptr);
}

std::string FinalStage(const RunConfig& config) {
  return config.stages.empty() ? std::string() : config.stages.back().name;
}

}  // namespace

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
  ASSIGN_OR_RETURN(r->queries_, RunQueries::Open(db_path.string(), r->config_.objective,
                                                 FinalStage(r->config_)));
  return r;
}

StatusOr<std::optional<int64_t>> RunReader::BestIdLocked() {
  ASSIGN_OR_RETURN(std::vector<int64_t> top, queries_->TopIds(1));
  if (top.empty()) return std::optional<int64_t>();
  return std::optional<int64_t>(top.front());
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
    ASSIGN_OR_RETURN(std::vector<OutcomeCount> counts, store_->CountOutcomes());
    json outcomes = json::object();
    int64_t done = 0;
    for (const OutcomeCount& c : counts) {
      outcomes[std::string(OutcomeName(c.outcome))] = c.count;
      done += c.count;
    }
    j["outcomes"] = outcomes;
    j["done"] = done;
  }
  ASSIGN_OR_RETURN(int64_t pending, queries_->CountPending());
  j["pending"] = pending;
  j["total"] = j["done"].get<int64_t>() + pending;
  ASSIGN_OR_RETURN(std::optional<int64_t> best, BestIdLocked());
  j["best"] = nullptr;
  if (best) {
    ASSIGN_OR_RETURN(std::optional<SeriesPoint> p, queries_->Point(*best));
    if (p) {
      json b = {{"id", *best},
                {"value", JsonOpt(p->value)},
                {"generation", p->generation},
                {"island", p->island}};
      ASSIGN_OR_RETURN(std::optional<std::string> h,
                       store_->GetState(fmt::format("heldout:{}", *best)));
      if (h) b["heldout"] = HeldoutValue(ParseOr(*h), config_.objective.key);
      j["best"] = b;
    }
  }
  ASSIGN_OR_RETURN(const bool has_calls, queries_->HasLlmCalls());
  j["has_llm_calls"] = has_calls;
  return j;
}

StatusOr<int64_t> RunReader::DoneCount() {
  std::lock_guard lock(mu_);
  return queries_->CountDone();
}

StatusOr<Series> RunReader::LoadSeries() {
  std::lock_guard lock(mu_);
  Series out;
  ASSIGN_OR_RETURN(out.points, queries_->Series());
  ASSIGN_OR_RETURN(auto heldout, queries_->StateWithPrefix("heldout:"));
  for (const auto& [key, text] : heldout) {
    json v = HeldoutValue(ParseOr(text), config_.objective.key);
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
  ASSIGN_OR_RETURN(TablePage page, queries_->Table(q));
  json rows = json::array();
  for (const TableRow& t : page.rows) {
    rows.push_back({{"id", t.id},
                    {"parent_id", JsonOpt(t.parent_id)},
                    {"island", t.island},
                    {"generation", t.generation},
                    {"outcome", t.outcome},
                    {"value", JsonOpt(t.value)},
                    {"proposer", t.proposer},
                    {"operators", ParseOr(t.operators_json, json::array())},
                    {"eval_seconds", JsonOpt(t.eval_seconds)},
                    {"created_unix", t.created_unix}});
  }
  json out;
  out["total"] = page.total;
  out["rows"] = rows;
  return out;
}

namespace {
// An LLM call, redacted: prompt (JSON when it parses) and response.
json CallJson(const LlmCallRecord& l) {
  json prompt = ParseOr(Redact(l.prompt));
  if (prompt.is_null()) prompt = Redact(l.prompt);
  return {{"id", l.id},
          {"attempt", l.attempt},
          {"model", l.model},
          {"mode", l.mode},
          {"prompt", prompt},
          {"response", Redact(l.response)},
          {"prompt_tokens", JsonOpt(l.prompt_tokens)},
          {"completion_tokens", JsonOpt(l.completion_tokens)},
          {"cost", JsonOpt(l.cost)},
          {"latency_seconds", l.latency_seconds},
          {"outcome", l.outcome},
          {"error", Redact(l.error)}};
}
}  // namespace

StatusOr<nlohmann::json> RunReader::Candidate(int64_t id) {
  std::lock_guard lock(mu_);
  StatusOr<CandidateColumns> found = queries_->CandidateDetail(id);
  if (!found.ok() && found.status().code() == StatusCode::kNotFound) {
    return NotFoundError(fmt::format("run {} has no candidate {}", run_dir_, id));
  }
  RETURN_IF_ERROR(found.status());
  const CandidateColumns& s = *found;
  json c;
  c["id"] = s.id;
  c["status"] = s.status;
  c["parent_id"] = JsonOpt(s.parent_id);
  c["inspiration_ids"] = ParseOr(s.inspiration_ids_json, json::array());
  c["island"] = s.island;
  c["generation"] = s.generation;
  c["seed"] = s.seed;
  c["source_hash"] = s.source_hash;
  c["program"] = ParseOr(s.program_json, json::array());
  c["patch"] = Redact(s.patch);
  c["proposer"] = s.proposer;
  c["operators"] = ParseOr(s.operators_json, json::array());
  c["proposal_detail"] = ParseOr(Redact(s.proposal_detail_json));
  c["propose_seconds"] = s.propose_seconds;
  c["outcome"] = JsonOpt(s.outcome);
  c["value"] = JsonOpt(s.value);
  c["metrics"] = ParseOr(s.metrics_json, json::object());
  c["features"] = ParseOr(s.features_json, json::object());
  c["feedback"] = Redact(s.feedback);
  json artifacts = ParseOr(s.artifacts_json, json::object());
  for (auto& [k, v] : artifacts.items()) {
    if (v.is_string()) v = Redact(v.get<std::string>());
  }
  c["artifacts"] = artifacts;
  c["stage"] = s.stage;
  c["eval_seconds"] = JsonOpt(s.eval_seconds);
  c["duplicate_of"] = JsonOpt(s.duplicate_of);
  c["created_unix"] = s.created_unix;
  c["completed_unix"] = JsonOpt(s.completed_unix);
  c["score"] = JsonOpt(s.score);
  c["objective"] = {{"key", config_.objective.key}, {"maximize", config_.objective.maximize()}};
  ASSIGN_OR_RETURN(std::optional<std::string> h, store_->GetState(fmt::format("heldout:{}", id)));
  c["heldout"] = h ? ParseOr(*h) : json(nullptr);
  // The parent's value, for "changed by".
  c["parent_value"] = s.parent_id ? JsonOpt(s.parent_value) : json(nullptr);
  json calls = json::array();
  ASSIGN_OR_RETURN(std::vector<LlmCallRecord> records, queries_->LlmCallsOf(id));
  for (const LlmCallRecord& l : records) calls.push_back(CallJson(l));
  c["llm_calls"] = calls;
  return c;
}

StatusOr<nlohmann::json> RunReader::Proposers() {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(std::vector<OperatorStats> operators, queries_->Operators());
  json ops = json::array();
  for (const OperatorStats& o : operators) {
    ops.push_back({{"proposer", o.proposer},
                   {"operator", o.op},
                   {"children", o.children},
                   {"valid", o.valid},
                   {"improved", o.improved}});
  }
  json out;
  out["operators"] = ops;
  ASSIGN_OR_RETURN(const bool has_calls, queries_->HasLlmCalls());
  out["has_llm_calls"] = has_calls;
  json models = json::array();
  if (has_calls) {
    ASSIGN_OR_RETURN(std::vector<ModelStats> stats, queries_->Models());
    for (const ModelStats& m : stats) {
      models.push_back({{"model", m.model},
                        {"calls", m.calls},
                        {"applied", m.applied},
                        {"prompt_tokens", m.prompt_tokens},
                        {"completion_tokens", m.completion_tokens},
                        {"cost", JsonOpt(m.cost)},
                        {"mean_latency_seconds", JsonOpt(m.mean_latency_seconds)},
                        {"children", m.children},
                        {"valid", m.valid},
                        {"improved", m.improved}});
    }
  }
  out["models"] = models;
  return out;
}

StatusOr<nlohmann::json> RunReader::Scratchpad(int64_t limit) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(LlmNotesPage page, queries_->LlmNotes(limit));
  json versions = json::array();
  for (const LlmNoteRecord& n : page.notes) {
    versions.push_back({{"id", n.id},
                        {"evaluated", n.evaluated},
                        {"model", n.model},
                        {"call_id", n.call_id},
                        {"note", Redact(n.note)},  // the proposer redacted it; the last guard
                        {"created_unix", n.created_unix}});
  }
  json out = {{"total", page.total}, {"current", versions.empty() ? json() : versions.front()}};
  out["versions"] = std::move(versions);
  return out;
}

StatusOr<nlohmann::json> RunReader::Fronts(int64_t limit) {
  std::lock_guard lock(mu_);
  json objectives = json::array();
  const std::vector<Objective> one = {config_.objective};
  for (const Objective& o : config_.objectives.empty() ? one : config_.objectives) {
    objectives.push_back({{"key", o.key}, {"direction", DirectionName(o.direction)}});
  }
  json out = {{"objectives", objectives}, {"total", 0}, {"fronts", json::array()}};
  if (config_.objectives.size() < 2) return out;
  ASSIGN_OR_RETURN(EventSample sample, queries_->EventsOfKind("front", limit));
  out["total"] = sample.total;
  for (const EventRecord& e : sample.events) {
    // The engine wrote it (engine_record.cc); a malformed one is shown as none.
    json f = json::parse(e.json, nullptr, false);
    if (!f.is_object() || !f.contains("members") || !f["members"].is_array()) continue;
    json members = json::array();
    for (const json& m : f["members"]) {
      if (m.is_object() && m.contains("id") && m.contains("values") && m["values"].is_array()) {
        members.push_back({{"id", m["id"]}, {"values", m["values"]}});
      }
    }
    out["fronts"].push_back({{"seq", e.seq},
                             {"unix_time", e.unix_time},
                             {"evaluations", f.value("evaluations", json())},
                             {"hypervolume", f.value("hypervolume", json())},
                             {"members", std::move(members)}});
  }
  return out;
}

StatusOr<Grid> RunReader::LoadGrid() {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(const int64_t ok, queries_->CountOk());
  if (ok == grid_done_) return grid_;
  ASSIGN_OR_RETURN(std::unique_ptr<Archive> archive, Archive::Create(config_.archive));
  // The program is read only when code_length is a dimension (it is computed
  // from the evolvable regions).
  bool need_code = false;
  for (const FeatureDimension& d : config_.archive.features) need_code |= d.name == "code_length";
  ASSIGN_OR_RETURN(std::vector<crucible::Candidate> replay,
                   queries_->ArchiveReplayInput(need_code));
  // The engine's own rule and order (Engine::Restore): id order, the entry
  // rule of archive/entry.h, the initial program seeded on every island.
  const EntryRule rule{config_.objective, FinalStage(config_)};
  std::map<int64_t, double> values;
  for (const crucible::Candidate& c : replay) {
    std::optional<ArchiveEntry> e = ArchiveEntryFor(c, rule);
    if (!e) continue;
    values[e->id] = *config_.objective.ValueOf(c.result);
    PlaceEntry(*archive, *e);
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
  grid_done_ = ok;
  grid_ = g;
  return g;
}

StatusOr<std::vector<int64_t>> RunReader::PathToBest() {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(std::optional<int64_t> best, BestIdLocked());
  if (!best) return std::vector<int64_t>();
  return queries_->Ancestors(*best);
}

StatusOr<std::vector<int64_t>> RunReader::TopIds(int k) {
  std::lock_guard lock(mu_);
  return queries_->TopIds(k);
}

}  // namespace crucible
