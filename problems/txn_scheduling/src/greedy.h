// The ADRS greedy seed (`initial_program.py`, shared/problems/txn_scheduling.md
// §4), replayed draw for draw on a PythonRandom so that `random.seed(42)`
// gives the published schedules. It is the baseline the built-in problem's
// initial program starts from.
#ifndef CRUCIBLE_PROBLEMS_TXN_SCHEDULING_GREEDY_H_
#define CRUCIBLE_PROBLEMS_TXN_SCHEDULING_GREEDY_H_

#include <cstdint>
#include <span>
#include <vector>

#include "problems/txn_scheduling/src/python_random.h"
#include "problems/txn_scheduling/txn_scheduling.h"

namespace crucible::txn {

// One greedy schedule: a random first transaction, then at each step the
// best of up to `num_samples` transactions drawn without replacement from
// the remaining ones (the first strict minimum of the prefix's makespan);
// the other drawn ones go back to the end of the remaining list.
std::vector<int32_t> GreedySchedule(const Workload& workload, PythonRandom& random,
                                    int num_samples = 10);

// The seed program's get_random_costs: the workloads in order on one stream
// seeded with `seed`.
std::vector<std::vector<int32_t>> GreedySchedules(std::span<const Workload> workloads,
                                                  uint32_t seed);

}  // namespace crucible::txn

#endif  // CRUCIBLE_PROBLEMS_TXN_SCHEDULING_GREEDY_H_
