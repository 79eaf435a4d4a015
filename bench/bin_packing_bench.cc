// bin_packing: cost of one evaluation, split into its parts.
//   Compile       one candidate (the driver's object file is cached, as in a
//                 run), median of fresh compiles; goal <= 0.5 s
//   Run/...       the confined candidate process packing a held-out dataset
//                 in reference mode (spawn, online loop, answers out)
//   Evaluate/...  the harness path with a cached binary: run + parse + check
//                 + score, as `crucible harness bin_packing` does it
//   Simulate/...  the in-process reference simulator (no process), a floor
// Published for comparison (FunSearch's numpy evaluation, on this kind of
// machine): best fit on Weibull 5k 0.30 s, the evolved Weibull heuristic 3.4 s.
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "problems/bin_packing/src/harness.h"
#include "problems/bin_packing/src/heuristics_for_test.h"

namespace crucible::bin_packing {
namespace {

namespace fs = std::filesystem;

const std::string kProblemDir = CRUCIBLE_BIN_PACKING_DIR;

struct Scratch {
  Scratch() {
    char tmpl[] = "/tmp/crucible-bp-bench-XXXXXX";
    if (mkdtemp(tmpl)) dir = tmpl;
  }
  ~Scratch() { fs::remove_all(dir); }
  std::string dir;
};

Scratch& SharedScratch() {
  static Scratch s;
  return s;
}

std::string Example(const std::string& name) {
  return *ReadFile(kProblemDir + "/examples/" + name + ".cpp");
}

Dataset Heldout(const std::string& name) {
  StatusOr<std::vector<Dataset>> all = LoadSplit("heldout", kProblemDir);
  if (!all.ok()) return {};
  for (Dataset& d : *all) {
    if (d.name == name) return d;
  }
  return {};
}

std::string CompiledBinary(const std::string& example) {
  auto r = CompileCandidate(
      BinPackingCompileSpec(Example(example), SharedScratch().dir + "/cache", SharedScratch().dir));
  return r.ok() && r->ok ? r->binary_path : "";
}

// CPU time (user + system) of the children reaped so far, in ms: less
// sensitive than wall time to other load on a shared machine.
double ChildCpuMs() {
  rusage u{};
  getrusage(RUSAGE_CHILDREN, &u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 +
         (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}

void BM_Compile(benchmark::State& state) {
  const std::string source = Example("best_fit");
  (void)CompiledBinary("best_fit");  // warm the driver's object file
  static int serial = 0;  // across repetitions too: every source is new
  const double cpu_before = ChildCpuMs();
  for (auto _ : state) {
    // A comment makes each source new to the cache: a real compile every time.
    auto r = CompileCandidate(BinPackingCompileSpec(
        source + "// " + std::to_string(getpid()) + "-" + std::to_string(++serial) + "\n",
        SharedScratch().dir + "/cache", SharedScratch().dir));
    if (!r.ok() || !r->ok || r->cached) state.SkipWithError("compile failed");
  }
  state.counters["child_cpu_ms"] = (ChildCpuMs() - cpu_before) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_Compile)->Unit(benchmark::kMillisecond)->Iterations(1)->Repetitions(9)
    ->ReportAggregatesOnly(true);

void BM_Run(benchmark::State& state, const std::string& example, const std::string& dataset) {
  const std::string binary = CompiledBinary(example);
  const std::string input = EncodeInput({Heldout(dataset)}, BinArray::kReference);
  RunLimits limits;
  limits.timeout_seconds = 60;
  const double cpu_before = ChildCpuMs();
  for (auto _ : state) {
    RunOutput out = RunCandidate(binary, input, limits);
    if (out.status != RunStatus::kExited || out.exit_code != 0) state.SkipWithError("run failed");
  }
  state.counters["child_cpu_ms"] = (ChildCpuMs() - cpu_before) / static_cast<double>(state.iterations());
}
BENCHMARK_CAPTURE(BM_Run, best_fit/weibull_5k, "best_fit", "weibull_5k")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Run, funsearch_weibull/weibull_5k, "funsearch_weibull", "weibull_5k")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Run, best_fit/or3, "best_fit", "or3")->Unit(benchmark::kMillisecond);

void BM_Evaluate(benchmark::State& state, const std::string& example) {
  (void)CompiledBinary(example);
  const std::string source = Example(example);
  const std::vector<Dataset> datasets = *LoadSplit("heldout", kProblemDir);
  EvaluateOptions options;
  options.cache_dir = SharedScratch().dir + "/cache";
  options.work_dir = SharedScratch().dir;
  for (auto _ : state) {
    HarnessReport r = EvaluateCandidate(source, datasets, options);
    if (!r.valid) state.SkipWithError("evaluation failed");
  }
}
BENCHMARK_CAPTURE(BM_Evaluate, best_fit/heldout, "best_fit")->Unit(benchmark::kMillisecond);

void BM_Simulate(benchmark::State& state, PriorityFn f) {
  const Dataset d = Heldout("weibull_5k");
  for (auto _ : state) {
    for (const Instance& inst : d.instances) {
      benchmark::DoNotOptimize(SimulateOnline(inst, f, BinArray::kReference).bins_used);
    }
  }
}
BENCHMARK_CAPTURE(BM_Simulate, best_fit/weibull_5k, PriorityFn(testing::BestFit))
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace crucible::bin_packing

BENCHMARK_MAIN();
