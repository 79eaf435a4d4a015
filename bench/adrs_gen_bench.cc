// prism and eplb (issue #5): the evaluator's work per candidate, without the
// compile and process start-up, next to the Python originals' times the
// specs give (PRISM: the 50-case evaluation with numpy "< 1 s"; EPLB: DeepSeek
// EPLB ~250 ms per call in Python/torch on 58x256 loads, the ADRS evaluator's
// own simulate_inference ~200 ms per call).
#include <benchmark/benchmark.h>

#include <vector>

#include "problems/eplb/src/traces.h"
#include "problems/prism/src/cases.h"

namespace crucible {
namespace {

// Generating the 50 published cases.
void BM_PrismGenerateCases(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(prism::GenerateStandardCases(42, 50));
}
BENCHMARK(BM_PrismGenerateCases)->Unit(benchmark::kMicrosecond);

// The scorer's work on one candidate: validation + max KVPR + leaderboard
// score of the seed's placements on all 50 cases.
void BM_PrismScore50Cases(benchmark::State& state) {
  const std::vector<prism::Case> cases = prism::GenerateStandardCases(42, 50);
  std::vector<std::vector<int64_t>> placements;
  for (const prism::Case& c : cases) {
    const std::vector<int32_t> g = prism::PrismGreedy(c);
    placements.emplace_back(g.begin(), g.end());
  }
  for (auto _ : state) {
    double sum = 0;
    for (size_t i = 0; i < cases.size(); ++i) {
      if (!prism::ValidatePlacement(cases[i], placements[i]).ok()) state.SkipWithError("invalid");
      const std::vector<int32_t> g(placements[i].begin(), placements[i].end());
      const double v = prism::MaxKvpr(cases[i], g);
      sum += v + prism::LeaderboardScore(cases[i], v);
    }
    benchmark::DoNotOptimize(sum);
  }
}
BENCHMARK(BM_PrismScore50Cases)->Unit(benchmark::kMicrosecond);

// The seed algorithm itself on the 50 cases.
void BM_PrismSeed50Cases(benchmark::State& state) {
  const std::vector<prism::Case> cases = prism::GenerateStandardCases(42, 50);
  for (auto _ : state) {
    for (const prism::Case& c : cases) benchmark::DoNotOptimize(prism::PrismGreedy(c));
  }
}
BENCHMARK(BM_PrismSeed50Cases)->Unit(benchmark::kMicrosecond);

const eplb::Trace& TrainTrace() {
  static const eplb::Trace trace = *eplb::GenerateTrace(eplb::TraceOptions{});
  return trace;
}

// DeepSeek EPLB (the shipped initial program, compiled into this bench) on
// one 58x256 window: the algorithm alone.
void BM_EplbDeepSeekCall(benchmark::State& state) {
  eplb::Problem p;
  p.load = TrainTrace()[0];
  for (auto _ : state) benchmark::DoNotOptimize(eplb::RebalanceExperts(p));
}
BENCHMARK(BM_EplbDeepSeekCall)->Unit(benchmark::kMicrosecond);

// The evaluator's work per call: validate phy2log and compute B_gpu/B_exp on
// the next window (what simulate_inference does in ADRS).
void BM_EplbScoreOneCall(benchmark::State& state) {
  eplb::Problem p;
  p.load = TrainTrace()[0];
  const std::vector<int32_t> m = eplb::RebalanceExperts(p);
  const std::vector<int64_t> m64(m.begin(), m.end());
  for (auto _ : state) {
    if (!eplb::ValidateMapping(p, m64).ok()) state.SkipWithError("invalid");
    benchmark::DoNotOptimize(eplb::ComputeBalancedness(p, TrainTrace()[1], m));
  }
}
BENCHMARK(BM_EplbScoreOneCall)->Unit(benchmark::kMicrosecond);

// Generating one 20-window trace.
void BM_EplbGenerateTrace(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(eplb::GenerateTrace(eplb::TraceOptions{}));
}
BENCHMARK(BM_EplbGenerateTrace)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace crucible
