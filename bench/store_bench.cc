// The cost of recording one candidate in the run database. The engine's
// overhead budget is 100 us per candidate, database writes included: a fast
// evaluation is written once (InsertDone, BM_InsertDone), one still running
// after 50 ms twice (InsertPending + Complete), and the engine groups a loop
// pass's writes into one commit (BM_InsertDoneBatchOf8).
// Runs in a fresh temporary directory (TMPDIR) per benchmark.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "store/run_store.h"

namespace crucible {
namespace {

class TempRun {
 public:
  TempRun() {
    std::string pattern = (std::filesystem::temp_directory_path() / "store_bench.XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    dir_ = pattern;
    RunMetadata metadata;
    metadata.problem_name = "bench";
    metadata.config_json = "{}";
    StatusOr<std::unique_ptr<RunStore>> store = RunStore::Create(dir_ + "/run.db", metadata);
    if (!store.ok()) std::abort();
    store_ = std::move(store).value();
  }
  ~TempRun() {
    store_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  RunStore& store() { return *store_; }

 private:
  std::string dir_;
  std::unique_ptr<RunStore> store_;
};

// A typical evolved candidate: one source file of `program_bytes`, a patch,
// a proposal record.
Candidate MakeCandidate(CandidateId id, size_t program_bytes) {
  Candidate c;
  c.id = id;
  c.parent_id = id > 0 ? id - 1 : kNoCandidate;
  c.inspiration_ids = {0, 1, 2};
  c.seed = 0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(id + 1);
  std::string source;
  while (source.size() < program_bytes) {
    source += "  for (int i = 0; i < n; ++i) { total += \"w\"[0] * weights[i] / 3.0; }\n";
  }
  source.resize(program_bytes);
  c.program.files.push_back({"initial.cpp", std::move(source)});
  c.source_hash = 0xabcdef0123456789ULL ^ static_cast<uint64_t>(id);
  c.patch = std::string(400, '+') + "\n";
  c.proposal = {"mutate", {"perturb_constant", "swap_lines"}, R"({"temperature":0.7})", 0.01};
  c.created_unix = 1.7e9;
  return c;
}

EvalResult MakeResult() {
  EvalResult r;
  r.outcome = Outcome::kOk;
  r.score = 0.9731;
  r.metrics = {{"excess_pct", 2.69}, {"runtime_ms", 4.1}, {"instances", 20}};
  r.features = {{"avg_bins_touched", 3.2}};
  r.feedback = std::string(200, 'f');
  r.stage = "full";
  r.eval_seconds = 0.5;
  return r;
}

const std::map<std::string, std::string>& EngineState() {
  static const std::map<std::string, std::string> state = {{"next_id", "12345"}};
  return state;
}

void BM_InsertPending(benchmark::State& state) {
  TempRun run;
  Candidate c = MakeCandidate(0, static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    if (!run.store().InsertPending(c, EngineState()).ok()) state.SkipWithError("insert failed");
    ++c.id;
  }
}
BENCHMARK(BM_InsertPending)->Arg(1 << 10)->Arg(4 << 10)->Arg(16 << 10)->Arg(64 << 10);

void BM_Complete(benchmark::State& state) {
  TempRun run;
  Candidate c = MakeCandidate(0, static_cast<size_t>(state.range(0)));
  EvalResult result = MakeResult();
  for (auto _ : state) {
    state.PauseTiming();
    if (!run.store().InsertPending(c).ok()) state.SkipWithError("insert failed");
    state.ResumeTiming();
    if (!run.store().Complete(c.id, result, kNoCandidate, EngineState()).ok()) {
      state.SkipWithError("complete failed");
    }
    ++c.id;
  }
}
BENCHMARK(BM_Complete)->Arg(1 << 10)->Arg(4 << 10)->Arg(16 << 10);

// A fast candidate: written once, with its result.
void BM_InsertDone(benchmark::State& state) {
  TempRun run;
  Candidate c = MakeCandidate(0, static_cast<size_t>(state.range(0)));
  c.result = MakeResult();
  for (auto _ : state) {
    if (!run.store().InsertDone(c, EngineState()).ok()) state.SkipWithError("insert failed");
    ++c.id;
  }
}
BENCHMARK(BM_InsertDone)->Arg(1 << 10)->Arg(4 << 10)->Arg(16 << 10);

// Eight fast candidates in one transaction (the engine with --jobs 8); the
// time is per candidate.
void BM_InsertDoneBatchOf8(benchmark::State& state) {
  TempRun run;
  Candidate c = MakeCandidate(0, static_cast<size_t>(state.range(0)));
  c.result = MakeResult();
  for (auto _ : state) {
    bool ok = run.store().BeginBatch().ok();
    for (int i = 0; i < 8; ++i, ++c.id) ok = ok && run.store().InsertDone(c, EngineState()).ok();
    if (!ok || !run.store().CommitBatch().ok()) state.SkipWithError("batch failed");
  }
  state.SetItemsProcessed(state.iterations() * 8);
  state.counters["us_per_candidate"] = benchmark::Counter(
      static_cast<double>(state.iterations() * 8), benchmark::Counter::kIsRate |
                                                       benchmark::Counter::kInvert);
}
BENCHMARK(BM_InsertDoneBatchOf8)->Arg(4 << 10);

// A slow candidate: pending first, then its result.
void BM_InsertPendingThenComplete(benchmark::State& state) {
  TempRun run;
  Candidate c = MakeCandidate(0, static_cast<size_t>(state.range(0)));
  EvalResult result = MakeResult();
  for (auto _ : state) {
    if (!run.store().InsertPending(c, EngineState()).ok() ||
        !run.store().Complete(c.id, result, kNoCandidate, EngineState()).ok()) {
      state.SkipWithError("write failed");
    }
    ++c.id;
  }
}
BENCHMARK(BM_InsertPendingThenComplete)->Arg(1 << 10)->Arg(4 << 10)->Arg(16 << 10);

}  // namespace
}  // namespace crucible
