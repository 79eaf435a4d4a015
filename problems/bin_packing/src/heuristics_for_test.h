// The four reference priority functions of the spec (§5) as C++ PriorityFns,
// for tests and benchmarks of the simulator. The shipped candidate files in
// problems/bin_packing/examples/ are the same functions.
#ifndef CRUCIBLE_PROBLEMS_BIN_PACKING_HEURISTICS_FOR_TEST_H_
#define CRUCIBLE_PROBLEMS_BIN_PACKING_HEURISTICS_FOR_TEST_H_

#include <algorithm>
#include <span>

namespace crucible::bin_packing::testing {

inline void FirstFit(double, std::span<const double> bins, std::span<double> scores) {
  std::fill(scores.begin(), scores.end(), 0.0);
  (void)bins;
}

inline void BestFit(double item, std::span<const double> bins, std::span<double> scores) {
  for (size_t i = 0; i < bins.size(); ++i) scores[i] = -(bins[i] - item);
}

inline void FunSearchOr(double item, std::span<const double> bins, std::span<double> scores) {
  for (size_t i = 0; i < bins.size(); ++i) {
    const double d = bins[i] - item;
    scores[i] = d <= 2 ? 4 : d <= 3 ? 3 : d <= 5 ? 2 : d <= 7 ? 1 : d <= 9 ? 0.9 : d <= 12 ? 0.95
              : d <= 15 ? 0.97 : d <= 21 ? 0.98 : 0.99;
  }
}

inline void FunSearchWeibull(double item, std::span<const double> bins, std::span<double> scores) {
  if (bins.empty()) return;
  const double m = *std::max_element(bins.begin(), bins.end());
  double previous = 0;
  for (size_t i = 0; i < bins.size(); ++i) {
    const double b = bins[i];
    double v = (b - m) * (b - m) / item;
    v += b * b / (item * item);
    v += b * b / (item * item * item);
    if (b > item) v = -v;
    scores[i] = i == 0 ? v : v - previous;
    previous = v;
  }
}

}  // namespace crucible::bin_packing::testing

#endif  // CRUCIBLE_PROBLEMS_BIN_PACKING_HEURISTICS_FOR_TEST_H_
