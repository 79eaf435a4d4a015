#include "dashboard/synthetic_run.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <vector>

#include "config/config.h"
#include "core/rng.h"
#include "store/run_store.h"

namespace crucible {
namespace {

namespace fs = std::filesystem;

Outcome PickOutcome(Rng& rng) {
  const uint64_t r = rng.Uniform(100);
  if (r < 70) return Outcome::kOk;
  if (r < 80) return Outcome::kRuntimeError;
  if (r < 86) return Outcome::kInvalid;
  if (r < 92) return Outcome::kCompileError;
  if (r < 96) return Outcome::kTimeout;
  return Outcome::kDuplicate;
}

Candidate MakeChild(CandidateId id, const std::vector<double>& values, Rng& rng, int islands,
                    bool llm) {
  Candidate c;
  c.id = id;
  c.island = static_cast<int>(rng.Uniform(islands));
  // Parents are drawn from the recent past, favouring good ones.
  const CandidateId a = static_cast<CandidateId>(rng.Uniform(static_cast<uint64_t>(id)));
  const CandidateId b = static_cast<CandidateId>(rng.Uniform(static_cast<uint64_t>(id)));
  c.parent_id = values[a] >= values[b] ? a : b;
  c.generation = 1;
  c.seed = rng.Next();
  const double k = 1.0 + static_cast<double>(id % 97) / 10.0;
  c.program.files.push_back(
      {"program.py", fmt::format("# EVOLVE-BLOCK-START\ndef f(x):\n    return {} * x + {}\n"
                                 "# EVOLVE-BLOCK-END\n",
                                 k, static_cast<double>(id % 13))});
  c.source_hash = rng.Next();
  c.patch = fmt::format(
      "--- a/program.py\n+++ b/program.py\n@@ -2 +2 @@\n-    return x\n"
      "+    return {} * x + {}\n",
      k, static_cast<double>(id % 13));
  c.proposal.proposer = llm ? "llm" : "mutate";
  c.proposal.operators =
      llm ? std::vector<std::string>{"diff"}
          : std::vector<std::string>{rng.Uniform(2) ? "perturb_constant" : "swap_lines"};
  c.proposal.detail_json = llm ? R"({"model":"test-model","mode":"diff"})" : "{}";
  c.proposal.propose_seconds = 0.001;
  c.created_unix = 1.7e9 + static_cast<double>(id);
  return c;
}

EvalResult MakeResult(CandidateId id, double parent_value, Rng& rng) {
  EvalResult r;
  r.outcome = id == 0 ? Outcome::kOk : PickOutcome(rng);
  r.eval_seconds = 0.01;
  r.stage = "full";
  if (r.outcome == Outcome::kOk) {
    const double step = (rng.UniformDouble() - 0.6) * 0.05;
    const double v = std::clamp(parent_value + step, 0.0, 1.0);
    r.score = v;
    r.metrics = {{"rmse", 1.0 - v}, {"runtime_ms", 1.0 + static_cast<double>(id % 7)}};
    r.features = {{"speed", static_cast<double>(id % 10) / 10.0}};
    r.feedback = fmt::format("RMSE {:.4f}", 1.0 - v);
    r.artifacts = {{"log.txt", fmt::format("candidate {}\n", id)}};
  } else {
    r.feedback = fmt::format("candidate {} failed: {}", id, OutcomeName(r.outcome));
  }
  return r;
}

// LLM call records for every third child (schema version 2's table, written
// through the store like the engine's): one failed attempt for every 9th,
// then the applied one.
std::vector<LlmCallRecord> SyntheticLlmCalls(int64_t n) {
  std::vector<LlmCallRecord> calls;
  for (int64_t id = 1; id < n; ++id) {
    if (id % 3 != 0) continue;
    LlmCallRecord c;
    c.model = id % 2 ? "model-a" : "model-b";
    c.mode = "diff";
    c.prompt_tokens = 100;
    c.completion_tokens = 20;
    c.cost = 0.001;
    c.latency_seconds = 1.5;
    c.created_unix = 1.7e9 + static_cast<double>(id);
    if (id % 9 == 0) {
      c.id = static_cast<int64_t>(calls.size()) + 1;
      c.candidate_id = kNoCandidate;
      c.attempt = 1;
      c.prompt = "[]";
      c.response = "no patch here";
      c.outcome = "patch_failed";
      c.error = "SEARCH block not found";
      calls.push_back(c);
    }
    c.id = static_cast<int64_t>(calls.size()) + 1;
    c.candidate_id = id;
    c.attempt = id % 9 == 0 ? 2 : 1;
    c.prompt =
        "[{\"role\":\"system\",\"content\":\"You improve programs.\"},"
        "{\"role\":\"user\",\"content\":\"Improve candidate; key sk-abcdefghijklmnopqrstuvwx\"}]";
    c.response = "<<<<<<< SEARCH\nreturn x\n=======\nreturn 2 * x\n>>>>>>> REPLACE";
    c.prompt_tokens = 1200;
    c.completion_tokens = 300;
    c.cost = 0.0042;
    c.latency_seconds = 2.25;
    c.outcome = "applied";
    c.error = "";
    calls.push_back(std::move(c));
  }
  return calls;
}

}  // namespace

Status SyntheticRunOptions::Validate() const {
  if (candidates < 1) return InvalidArgumentError("candidates must be >= 1");
  if (islands < 1) return InvalidArgumentError("islands must be >= 1");
  if (pending < 0 || pending >= candidates)
    return InvalidArgumentError("pending must be in [0, candidates)");
  if (batch < 1) return InvalidArgumentError("batch must be >= 1");
  return Status::Ok();
}

Status WriteSyntheticRun(const std::string& dir, const SyntheticRunOptions& options) {
  RETURN_IF_ERROR(options.Validate());
  std::error_code ec;
  fs::create_directories(dir, ec);
  RunConfig config;
  config.name = "synthetic";
  config.problem_dir = "/nonexistent/synthetic";
  config.files = {"program.py"};
  config.evaluator_command = {"true"};
  config.archive.num_islands = options.islands;
  config.archive.features = {{"speed", 5, 0.0, 1.0}, {"runtime_ms", 4, 0.0, 8.0}};
  config.heldout = true;
  if (options.fronts > 0) {
    config.objectives = {{"score", Direction::kMaximize}, {"runtime_ms", Direction::kMinimize}};
    config.objective = config.objectives.front();
  }
  RunMetadata meta;
  meta.crucible_version = "synthetic";
  meta.problem_name = "synthetic";
  meta.problem_dir = config.problem_dir;
  meta.config_json = ConfigToJson(config);
  meta.seed = options.seed;
  meta.created_unix = 1.7e9;
  const std::string path = (fs::path(dir) / "run.db").string();
  ASSIGN_OR_RETURN(std::unique_ptr<RunStore> store, RunStore::Create(path, meta));
  Rng rng(options.seed);
  std::vector<double> values;
  values.reserve(options.candidates);
  std::vector<int> generation;
  const int64_t done_until = options.candidates - options.pending;
  RETURN_IF_ERROR(store->BeginBatch());
  for (int64_t id = 0; id < options.candidates; ++id) {
    Candidate c;
    if (id == 0) {
      c.id = 0;
      c.program.files.push_back(
          {"program.py", "# EVOLVE-BLOCK-START\ndef f(x):\n    return x\n# EVOLVE-BLOCK-END\n"});
      c.proposal.proposer = "initial";
      c.created_unix = 1.7e9;
    } else {
      c = MakeChild(id, values, rng, options.islands, options.llm_calls && id % 3 == 0);
      c.generation = generation[c.parent_id] + 1;
    }
    generation.push_back(c.generation);
    const double parent_value = id == 0 ? 0.2 : values[c.parent_id];
    c.result = MakeResult(id, parent_value, rng);
    if (c.result.outcome == Outcome::kDuplicate) c.duplicate_of = c.parent_id;
    values.push_back(c.result.score.value_or(-1.0));
    if (id >= done_until) {
      RETURN_IF_ERROR(store->InsertPending(c));
    } else {
      RETURN_IF_ERROR(store->InsertDone(c));
    }
    if ((id + 1) % options.batch == 0) {
      RETURN_IF_ERROR(store->CommitBatch());
      RETURN_IF_ERROR(store->BeginBatch());
    }
  }
  RETURN_IF_ERROR(store->CommitBatch());
  // A held-out result for the best, as the engine records it at the end.
  int64_t best = 0;
  for (int64_t i = 0; i < done_until; ++i) {
    if (values[i] > values[best]) best = i;
  }
  RETURN_IF_ERROR(store->PutState(
      fmt::format("heldout:{}", best),
      fmt::format(R"({{"outcome":"ok","score":{},"metrics":{{"rmse":{}}},"feedback":"held-out"}})",
                  values[best] - 0.01, 1.01 - values[best])));
  if (options.llm_calls) RETURN_IF_ERROR(store->InsertLlmCalls(SyntheticLlmCalls(done_until)));
  std::vector<LlmNoteRecord> notes;
  for (int64_t n = 1; n <= options.llm_notes; ++n) {
    LlmNoteRecord r;
    r.id = n;
    r.evaluated = 25 * n;
    r.model = "test-model";
    r.call_id = n;
    // The first note quotes a key, which the dashboard must not show.
    r.note = fmt::format("note {}: what worked; sk-{}", n, n == 1 ? "abcdefghijklmnopqrst" : "x");
    r.created_unix = 1.7e9 + static_cast<double>(n);
    notes.push_back(std::move(r));
  }
  if (!notes.empty()) RETURN_IF_ERROR(store->InsertLlmNotes(notes));
  // Fronts that grow: the n-th has members n and n + 1, better each time.
  for (int64_t n = 1; n <= options.fronts; ++n) {
    const double k = static_cast<double>(n);
    const std::string front = fmt::format(
        R"({{"evaluations":{},"hypervolume":{},"members":[{{"id":{},"values":[{},2]}},)"
        R"({{"id":{},"values":[0.4,{}]}}]}})",
        10 * n, 0.1 * k, n, 0.5 + 0.01 * k, n + 1, 1.0 / k);
    RETURN_IF_ERROR(store->AppendEvent(1.7e9 + k, "front", front));
  }
  return Status::Ok();
}

Status AppendSyntheticCandidates(const std::string& dir, int64_t count, uint64_t seed) {
  const std::string path = (fs::path(dir) / "run.db").string();
  ASSIGN_OR_RETURN(std::unique_ptr<RunStore> store,
                   RunStore::Open(path, RunStore::Mode::kReadWrite));
  ASSIGN_OR_RETURN(CandidateId max_id, store->MaxCandidateId());
  Rng rng(seed);
  std::vector<double> values(static_cast<size_t>(max_id + 1 + count), 0.5);
  for (int64_t k = 0; k < count; ++k) {
    const CandidateId id = max_id + 1 + k;
    Candidate c = MakeChild(id, values, rng, 4, false);
    c.result = MakeResult(id, 0.5, rng);
    if (c.result.outcome == Outcome::kDuplicate) c.duplicate_of = c.parent_id;
    RETURN_IF_ERROR(store->InsertDone(c));
  }
  return Status::Ok();
}

}  // namespace crucible
