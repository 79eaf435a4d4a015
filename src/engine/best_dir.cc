// RUN_DIR/best/ and RUN_DIR/best/front/ (engine/run.h): the best program's
// files and metrics.json, and each member of the run's last Pareto front.
#include <fmt/format.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/file.h"
#include "core/safe_path.h"
#include "engine/run.h"
#include "evaluate/protocol.h"

namespace crucible {

namespace fs = std::filesystem;

namespace {

// `best`'s files and metrics.json (its result, lineage and held-out result)
// into `dir`.
Status WriteProgramDir(const fs::path& dir, const RunStore& store, const Candidate& best) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return FailedPreconditionError(fmt::format("cannot create {}: {}", dir.string(), ec.message()));
  for (const SourceFile& f : best.program.files) {
    if (!IsSafeRelativePath(f.path) || f.path == "metrics.json") {
      return FailedPreconditionError(fmt::format(
          "candidate {} has a file path '{}' outside {} (a corrupt or crafted run.db)", best.id,
          f.path, dir.string()));
    }
    fs::create_directories((dir / f.path).parent_path(), ec);
    if (ec) {
      return FailedPreconditionError(
          fmt::format("cannot create {}: {}", (dir / f.path).parent_path().string(), ec.message()));
    }
    RETURN_IF_ERROR(WriteFile(dir / f.path, f.content));
  }
  nlohmann::json m = nlohmann::json::parse(EvalResultToJson(best.result));
  m["id"] = best.id;
  m["parent_id"] = best.parent_id;
  m["generation"] = best.generation;
  m["island"] = best.island;
  ASSIGN_OR_RETURN(std::optional<std::string> heldout,
                   store.GetState(fmt::format("heldout:{}", best.id)));
  if (heldout) m["heldout"] = nlohmann::json::parse(*heldout, nullptr, false);
  return WriteFile(dir / "metrics.json", m.dump(2) + "\n");
}

}  // namespace

StatusOr<Candidate> WriteBestDir(const std::string& run_dir, const RunStore& store,
                                 const RunConfig& config) {
  ASSIGN_OR_RETURN(std::vector<CandidateRow> top,
                   store.TopByObjective(config.objective, 1, config.stages.back().name));
  if (top.empty()) return NotFoundError("no candidate of this run has a score yet");
  const Candidate& best = top.front().candidate;
  RETURN_IF_ERROR(WriteProgramDir(fs::path(run_dir) / "best", store, best));
  return best;
}

StatusOr<FrontSummary> WriteFrontDir(const std::string& run_dir, const RunStore& store) {
  std::optional<std::string> last;
  for (int64_t after = 0;;) {
    ASSIGN_OR_RETURN(std::vector<RunStore::Event> events, store.LoadEvents(after, 1000));
    if (events.empty()) break;
    for (const RunStore::Event& e : events) {
      if (e.kind == "front") last = e.json;
    }
    after = events.back().seq;
  }
  if (!last) return NotFoundError("the run has no Pareto front (one objective, or none evaluated)");
  const nlohmann::json j = nlohmann::json::parse(*last, nullptr, false);
  if (!j.is_object() || !j.contains("members") || !j["members"].is_array()) {
    return DataLossError("run.db: a malformed front event");
  }
  FrontSummary front;
  front.hypervolume = j.value("hypervolume", 0.0);
  for (const nlohmann::json& m : j["members"]) {
    if (!m.is_object() || !m.contains("id") || !m["id"].is_number_integer()) {
      return DataLossError("run.db: a malformed front event");
    }
    const CandidateId id = m["id"].get<CandidateId>();
    ASSIGN_OR_RETURN(std::optional<CandidateRow> row, store.LoadCandidate(id));
    if (!row) return DataLossError(fmt::format("run.db: front member {} is not a candidate", id));
    RETURN_IF_ERROR(WriteProgramDir(fs::path(run_dir) / "best" / "front" / std::to_string(id), store,
                                    row->candidate));
    front.members.push_back(std::move(row->candidate));
  }
  return front;
}

}  // namespace crucible
