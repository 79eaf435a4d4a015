// Transaction-scheduling cost evaluation: the time of one schedule's
// makespan (the Python original's get_opt_seq_cost takes 0.14-0.92 ms per
// schedule depending on the workload; issue #4's goal is >= 100x faster),
// of one incremental extension, and of one greedy-seed run (0.56 s in
// Python for the three workloads).
#include <benchmark/benchmark.h>

#include <numeric>
#include <string>
#include <vector>

#include "core/rng.h"
#include "problems/txn_scheduling/src/greedy.h"
#include "problems/txn_scheduling/src/workloads.h"

namespace crucible::txn {
namespace {

const Workload& FixedWorkload(int k) {
  static const std::vector<Workload> workloads = [] {
    std::vector<Workload> w;
    for (int i = 1; i <= 3; ++i) {
      w.push_back(*LoadWorkloadFile(std::string(CRUCIBLE_PROBLEMS_DIR) +
                                    "/txn_scheduling/data/workload_" + std::to_string(i) + ".txt"));
    }
    return w;
  }();
  return workloads[static_cast<size_t>(k - 1)];
}

std::vector<std::vector<int32_t>> RandomOrders(int n, int count) {
  Rng rng(1);
  std::vector<std::vector<int32_t>> orders;
  for (int i = 0; i < count; ++i) {
    std::vector<int32_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    orders.push_back(std::move(order));
  }
  return orders;
}

// One full schedule's makespan from scratch (allocates the per-key state).
void BM_Makespan(benchmark::State& state) {
  const Workload& w = FixedWorkload(static_cast<int>(state.range(0)));
  const auto orders = RandomOrders(w.num_txns(), 64);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(Makespan(w, orders[i++ % orders.size()]));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Makespan)->Arg(1)->Arg(2)->Arg(3);

// The same with a reused ScheduleState (what a search loop does).
void BM_MakespanReusedState(benchmark::State& state) {
  const Workload& w = FixedWorkload(static_cast<int>(state.range(0)));
  const auto orders = RandomOrders(w.num_txns(), 64);
  ScheduleState sim(w);
  size_t i = 0;
  for (auto _ : state) {
    sim.Reset();
    for (int32_t t : orders[i++ % orders.size()]) sim.Append(t);
    benchmark::DoNotOptimize(sim.makespan());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MakespanReusedState)->Arg(1)->Arg(2)->Arg(3);

// One greedy-seed run over the three workloads (random.seed(42) replayed).
void BM_GreedySeedThreeWorkloads(benchmark::State& state) {
  const std::vector<Workload> w = {FixedWorkload(1), FixedWorkload(2), FixedWorkload(3)};
  for (auto _ : state) benchmark::DoNotOptimize(GreedySchedules(w, 42));
}
BENCHMARK(BM_GreedySeedThreeWorkloads)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace crucible::txn
