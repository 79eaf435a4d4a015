// Workloads of the transaction-scheduling problem: loading the three fixed
// ADRS workloads, generating held-out workloads of the same three shapes,
// and the strict check of a returned schedule.
#ifndef CRUCIBLE_PROBLEMS_TXN_SCHEDULING_WORKLOADS_H_
#define CRUCIBLE_PROBLEMS_TXN_SCHEDULING_WORKLOADS_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "problems/txn_scheduling/txn_scheduling.h"

namespace crucible::txn {

// Reads a workload file (data/workload_N.txt: one transaction per line).
// `key_names`, when given, receives the key string of each dense id.
StatusOr<Workload> LoadWorkloadFile(const std::string& path);
StatusOr<Workload> ParseWorkloadText(std::string_view text,
                                     std::vector<std::string>* key_names = nullptr);

// The shapes of the three ADRS workloads (shared/data/txn_scheduling/README.md).
enum class WorkloadShape {
  // Workload 1: 16 distinct keys per transaction, 44.5% reads; keys 1-30 are
  // hot (each included with the frequency it has in workload 1, 82.5% of
  // ops), the rest come from a Zipf(1.1) tail over keys 31-5270; hot keys sit
  // near their usual position in a transaction, as in workload 1.
  kHotCold,
  // Workload 2: 50 x "r-a r-b w-b" + 18 '*', 50 x "r-a w-a r-b w-b *";
  // a uniform in 1-4, b uniform in 11-50.
  kLongShort,
  // Workload 3: "r-a" + 7 '*' + "w-b"; the first half reads 1-5 and writes
  // 6-10, the second half the reverse; uniform keys.
  kCrossed,
};

// A workload of `num_txns` transactions (even; 100 like the originals) of
// `shape`, as text in the data-file format. The same seed gives the same
// text.
std::string GenerateWorkloadText(WorkloadShape shape, uint64_t seed, int num_txns = 100);

// OK iff `schedule` is an exact permutation of 0..num_txns-1; otherwise an
// InvalidArgument error naming the first problem (length, out-of-range or
// repeated index).
Status ValidateSchedule(const Workload& workload, std::span<const int64_t> schedule);

}  // namespace crucible::txn

#endif  // CRUCIBLE_PROBLEMS_TXN_SCHEDULING_WORKLOADS_H_
