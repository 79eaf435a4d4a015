#include "problems/txn_scheduling/src/greedy.h"

#include <algorithm>

namespace crucible::txn {

std::vector<int32_t> GreedySchedule(const Workload& workload, PythonRandom& random,
                                    int num_samples) {
  const int32_t n = workload.num_txns();
  const int32_t first = static_cast<int32_t>(random.RandInt(0, n - 1));
  std::vector<int32_t> seq{first};
  std::vector<int32_t> remaining;
  for (int32_t t = 0; t < n; ++t) {
    if (t != first) remaining.push_back(t);
  }
  ScheduleState prefix(workload);
  prefix.Append(first);
  std::vector<int32_t> drawn;
  for (int32_t step = 0; step + 1 < n; ++step) {
    // The original compares this draw with sample_rate = 1.0, which never
    // takes the random-append branch, but the draw moves the stream.
    (void)random.Random();
    drawn.clear();
    int32_t best = -1;
    int32_t best_cost = 100000;
    for (int j = 0; j < num_samples; ++j) {
      const bool last = remaining.size() <= 1;
      const size_t idx =
          last ? 0
               : static_cast<size_t>(random.RandInt(0, static_cast<int64_t>(remaining.size()) - 1));
      const int32_t t = remaining[idx];
      remaining.erase(remaining.begin() + static_cast<std::ptrdiff_t>(idx));
      drawn.push_back(t);
      const int32_t cost = prefix.MakespanIfAppended(t);
      if (cost < best_cost) {
        best_cost = cost;
        best = t;
      }
      if (last) break;
    }
    seq.push_back(best);
    prefix.Append(best);
    drawn.erase(std::find(drawn.begin(), drawn.end(), best));
    remaining.insert(remaining.end(), drawn.begin(), drawn.end());
  }
  return seq;
}

std::vector<std::vector<int32_t>> GreedySchedules(std::span<const Workload> workloads,
                                                  uint32_t seed) {
  PythonRandom random(seed);
  std::vector<std::vector<int32_t>> schedules;
  for (const Workload& w : workloads) schedules.push_back(GreedySchedule(w, random));
  return schedules;
}

}  // namespace crucible::txn
