// Can't-Be-Late evaluation speed on the leaderboard grid (1,080 runs; the
// Python original: ~0.28 s per run as a subprocess, ~300 CPU-s per grid;
// 40-50 ms per run in-process). Issue #5's goal: >= 50x faster on the same
// grid.
//   BM_GridInProcess:   the library simulator with the C++ greedy (no
//                       process boundary): the simulator's own cost.
//   BM_GridLockstep:    the same through SimulateLockstep with an
//                       in-process batch callback (the harness's bookkeeping).
//   BM_GridCompiled:    the whole candidate evaluation as `crucible harness`
//                       does it, compile cached: start the confined policy
//                       process, ~1,000 rounds of request/reply, score.
//                       Reports the CPU of harness + candidate (children).
#include <benchmark/benchmark.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <filesystem>

#include "core/file.h"
#include "problems/cant_be_late/src/harness.h"

namespace crucible::cbl {
namespace {

double ChildrenCpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_CHILDREN, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

template <typename P>
void BM_GridInProcess(benchmark::State& state) {
  const TraceSet& traces = EmbeddedTraceSet();
  const std::vector<Scenario> grid = LeaderboardGrid(traces);
  std::vector<std::string_view> windows;
  for (const Scenario& s : grid) windows.push_back(traces.Window(s.env, s.trace_id));
  const SimOptions parity{.guarantee_quirk = true, .enforce_deadline = false};
  for (auto _ : state) {
    double sum = 0;
    for (size_t i = 0; i < grid.size(); ++i) {
      P policy;
      sum += Simulate(windows[i], grid[i].job, policy, parity).cost;
    }
    benchmark::DoNotOptimize(sum);
  }
  state.counters["runs_per_s"] =
      benchmark::Counter(static_cast<double>(grid.size()), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_GridInProcess<GreedyPolicy>)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_GridInProcess<UniformProgressPolicy>)->Unit(benchmark::kMillisecond);

void BM_GridLockstep(benchmark::State& state) {
  const TraceSet& traces = EmbeddedTraceSet();
  const std::vector<Scenario> grid = LeaderboardGrid(traces);
  const SimOptions parity{.guarantee_quirk = true, .enforce_deadline = false};
  for (auto _ : state) {
    std::vector<GreedyPolicy> policies(grid.size());
    LockstepResult lr;
    std::string error;
    SimulateLockstep(
        traces, grid, parity,
        [&](const auto&, const auto&, const std::vector<std::pair<uint32_t, Observation>>& obs,
            std::vector<uint8_t>* d) {
          for (size_t i = 0; i < obs.size(); ++i) {
            (*d)[i] = static_cast<uint8_t>(policies[obs[i].first].Step(obs[i].second));
          }
          return true;
        },
        &lr, &error);
    benchmark::DoNotOptimize(lr.runs.data());
  }
}
BENCHMARK(BM_GridLockstep)->Unit(benchmark::kMillisecond);

void BM_GridCompiled(benchmark::State& state) {
  char tmpl[] = "/tmp/cbl_bench.XXXXXX";
  if (!mkdtemp(tmpl)) {
    state.SkipWithError("mkdtemp");
    return;
  }
  StatusOr<std::string> src = ReadFile(std::string(CRUCIBLE_PROBLEMS_DIR) + "/cant_be_late/initial.cpp");
  if (!src.ok()) {
    state.SkipWithError(src.status().ToString().c_str());
    return;
  }
  EvaluateOptions options;
  options.sim = SimOptions{.guarantee_quirk = true, .enforce_deadline = false};
  options.cache_dir = std::string(tmpl) + "/cache";
  options.work_dir = tmpl;
  options.limits.timeout_seconds = 120;
  const std::vector<Scenario> grid = LeaderboardGrid(EmbeddedTraceSet());
  // Compile once outside the timing.
  HarnessReport warm = EvaluateCandidate(*src, grid, options);
  if (!warm.valid) {
    state.SkipWithError(warm.feedback.c_str());
    return;
  }
  const double children0 = ChildrenCpuSeconds();
  rusage self0{};
  getrusage(RUSAGE_SELF, &self0);
  double mean = 0;
  for (auto _ : state) {
    HarnessReport r = EvaluateCandidate(*src, grid, options);
    mean = r.metrics["mean_cost"];
  }
  rusage self1{};
  getrusage(RUSAGE_SELF, &self1);
  auto secs = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec * 1e-6; };
  const double self_cpu = secs(self1.ru_utime) - secs(self0.ru_utime) + secs(self1.ru_stime) -
                          secs(self0.ru_stime);
  const double child_cpu = ChildrenCpuSeconds() - children0;
  const double n = static_cast<double>(state.iterations());
  state.counters["mean_cost"] = mean;
  state.counters["harness_cpu_s"] = self_cpu / n;
  state.counters["candidate_cpu_s"] = child_cpu / n;
  state.counters["speedup_vs_300cpu_s"] = 300.0 / ((self_cpu + child_cpu) / n);
  std::filesystem::remove_all(tmpl);
}
BENCHMARK(BM_GridCompiled)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(10);

}  // namespace
}  // namespace crucible::cbl

BENCHMARK_MAIN();
