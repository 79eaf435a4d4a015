// LLM-SQL speed on beer.csv: one scoring pass (the original Python trie
// scorer takes ~7 s; shared/problems/llm_sql.md §8), the GGR seed's reorder
// (Python: 36-37 s on 2 CPUs, §6) and loading + merging the table.
#include <benchmark/benchmark.h>

#include "problems/llm_sql/src/data.h"

#include CRUCIBLE_LLM_SQL_INITIAL

namespace crucible::llmsql {
namespace {

const Table& Beer() {
  static const Table beer = [] {
    StatusOr<std::vector<Table>> t = LoadSplit("train", CRUCIBLE_PROBLEMS_DIR "/llm_sql");
    if (!t.ok()) std::abort();
    return (*t)[0];
  }();
  return beer;
}

void BM_ScoreBeer(benchmark::State& state) {
  const Table& t = Beer();
  const Order order = Reorder(t, 0);
  for (auto _ : state) {
    if (!ValidateOrder(t, order).empty()) std::abort();
    benchmark::DoNotOptimize(Score(t, order));
  }
}
BENCHMARK(BM_ScoreBeer)->Unit(benchmark::kMillisecond);

void BM_GgrBeer(benchmark::State& state) {
  const Table& t = Beer();
  for (auto _ : state) benchmark::DoNotOptimize(Reorder(t, 0));
}
BENCHMARK(BM_GgrBeer)->Unit(benchmark::kMillisecond);

void BM_LoadBeer(benchmark::State& state) {
  for (auto _ : state) {
    StatusOr<std::vector<Table>> t = LoadSplit("train", CRUCIBLE_PROBLEMS_DIR "/llm_sql");
    benchmark::DoNotOptimize(t);
  }
}
BENCHMARK(BM_LoadBeer)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace crucible::llmsql
