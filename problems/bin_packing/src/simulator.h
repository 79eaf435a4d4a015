// bin_packing: FunSearch's online 1-D bin packing (spec:
// problems/bin_packing/README.md). A pure library: instances, the
// reference simulation of a priority function, the strict check of a packing
// reported by a candidate process, the excess metric and the seeded
// generators of training instances. No I/O beyond parsing text given to it.
#ifndef CRUCIBLE_PROBLEMS_BIN_PACKING_SIMULATOR_H_
#define CRUCIBLE_PROBLEMS_BIN_PACKING_SIMULATOR_H_

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace crucible::bin_packing {

struct Instance {
  std::string name;
  int capacity = 0;
  std::vector<int> items;  // positive sizes <= capacity, in arrival order
};

struct Dataset {
  std::string name;  // "or3", "weibull_5k", "or_train", ...
  std::vector<Instance> instances;
};

// Parses the format of problems/bin_packing/data/README.md. Every size must be
// an integer in [1, capacity] and each instance must hold its stated count.
StatusOr<Dataset> ParseDataset(std::string_view text, std::string name);

// ceil(sum(items) / capacity): the notebook's l1_bound.
int64_t LowerBound(const Instance& instance);

// Which array the priority function is shown (spec §3, §4).
enum class BinArray {
  kReference,  // every bin that fits, unused ones included, in index order
  kFast,       // used bins that fit in opening order, plus one empty bin
};

// Writes one score per entry of `bins` into `scores` (same length).
using PriorityFn =
    std::function<void(double item, std::span<const double> bins, std::span<double> scores)>;

struct Packing {
  std::vector<int> bin_of_item;  // per item, the bin index it went to
  int64_t bins_used = 0;
  std::string error;  // non-empty: the priority function failed (non-finite score)
};

// The reference online simulation: argmax with the first maximum; a
// non-finite score is an error naming the item and position.
Packing SimulateOnline(const Instance& instance, const PriorityFn& priority, BinArray array);

// Checks a packing reported by an untrusted candidate: one bin index per item,
// each in [0, n), and no bin over capacity. Returns the number of bins used.
StatusOr<int64_t> CheckPacking(const Instance& instance, std::span<const int> bin_of_item);

// Ratio of means, in percent: (mean_bins - mean_lb) / mean_lb * 100.
double ExcessPercent(std::span<const int64_t> bins_used, std::span<const int64_t> lower_bounds);

// Seeded generators of training instances.
// OR-like: sizes uniform in [20, 100], capacity 150 (OR-Library binpack).
Dataset GenerateOrLike(uint64_t seed, int instances, int items);
// Weibull(scale 45, shape 3), clipped at 100, rounded into [1, 100],
// capacity 100 (FunSearch Appendix E.4).
Dataset GenerateWeibull(uint64_t seed, int instances, int items);

}  // namespace crucible::bin_packing

#endif  // CRUCIBLE_PROBLEMS_BIN_PACKING_SIMULATOR_H_
