// Transaction scheduling: order the transactions of a workload so that the
// simulated makespan is as small as possible (see prompt.md and
// txn_scheduling.h). The initial program is ADRS's greedy seed.
#include <cstdint>
#include <vector>

#include "txn_scheduling.h"

// EVOLVE-BLOCK-START
// Greedy with sampling: start from a random transaction; at each step draw up
// to 10 of the remaining transactions at random, append the one that gives
// the smallest makespan so far (the first one on ties), and put the others
// back at the end of the remaining list.
std::vector<int32_t> txn::ScheduleTransactions(const txn::Workload& workload, uint64_t seed) {
  const int32_t n = workload.num_txns();
  const int kSamples = 10;
  uint64_t state = seed;
  auto uniform = [&state](size_t size) {  // splitmix64, reduced to [0, size)
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return static_cast<size_t>((z ^ (z >> 31)) % size);
  };
  std::vector<int32_t> remaining;
  for (int32_t t = 0; t < n; ++t) remaining.push_back(t);
  const size_t first = uniform(remaining.size());
  std::vector<int32_t> schedule{remaining[first]};
  remaining.erase(remaining.begin() + static_cast<std::ptrdiff_t>(first));
  txn::ScheduleState prefix(workload);
  prefix.Append(schedule[0]);
  while (!remaining.empty()) {
    std::vector<int32_t> drawn;
    int32_t best = -1;
    int32_t best_cost = 0;
    for (int j = 0; j < kSamples && !remaining.empty(); ++j) {
      const size_t idx = uniform(remaining.size());
      const int32_t t = remaining[idx];
      remaining.erase(remaining.begin() + static_cast<std::ptrdiff_t>(idx));
      drawn.push_back(t);
      const int32_t cost = prefix.MakespanIfAppended(t);
      if (best < 0 || cost < best_cost) {
        best = t;
        best_cost = cost;
      }
    }
    schedule.push_back(best);
    prefix.Append(best);
    for (int32_t t : drawn) {
      if (t != best) remaining.push_back(t);
    }
  }
  return schedule;
}
// EVOLVE-BLOCK-END
