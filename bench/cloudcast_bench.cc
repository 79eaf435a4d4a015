// Cloudcast evaluation speed: validating and simulating the seed's
// topologies on the 5 public configs (the original Python simulator takes
// ~0.4 s per config, ~2 s for the 5; shared/problems/cloudcast.md §8), and
// the seed's own search.
#include <benchmark/benchmark.h>

#include "problems/cloudcast/src/data.h"

#include CRUCIBLE_CLOUDCAST_INITIAL

namespace crucible::cloudcast {
namespace {

const ProblemData& Train() {
  static const ProblemData data = [] {
    StatusOr<ProblemData> d = LoadSplit("train", CRUCIBLE_PROBLEMS_DIR "/cloudcast");
    if (!d.ok()) std::abort();
    return *std::move(d);
  }();
  return data;
}

void BM_ValidateAndSimulateFiveConfigs(benchmark::State& state) {
  const ProblemData& d = Train();
  std::vector<Topology> seed;
  for (const Config& c : d.configs) seed.push_back(SearchAlgorithm(d.graph, c, 0));
  for (auto _ : state) {
    double total = 0;
    for (size_t k = 0; k < d.configs.size(); ++k) {
      if (!ValidateTopology(d.graph, d.configs[k], seed[k]).empty()) std::abort();
      total += Simulate(d.graph, d.configs[k], seed[k]).cost;
    }
    benchmark::DoNotOptimize(total);
  }
}
BENCHMARK(BM_ValidateAndSimulateFiveConfigs)->Unit(benchmark::kMicrosecond);

void BM_SeedSearchFiveConfigs(benchmark::State& state) {
  const ProblemData& d = Train();
  for (auto _ : state) {
    for (const Config& c : d.configs) benchmark::DoNotOptimize(SearchAlgorithm(d.graph, c, 0));
  }
}
BENCHMARK(BM_SeedSearchFiveConfigs)->Unit(benchmark::kMicrosecond);

void BM_LoadGraph(benchmark::State& state) {
  for (auto _ : state) {
    StatusOr<ProblemData> d = LoadSplit("train", CRUCIBLE_PROBLEMS_DIR "/cloudcast");
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_LoadGraph)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace crucible::cloudcast
