// FunSearch's heuristic for the Weibull datasets (Romera-Paredes et al.,
// Nature 2024; notebook cell 9). It takes first differences along the bin
// array, so it depends on bin positions: it never uses the first bin.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>

#include "bin_packing.h"

// EVOLVE-BLOCK-START
void priority(double item, std::span<const double> bins, std::span<double> scores) {
  if (bins.empty()) return;
  const double max_bin = *std::max_element(bins.begin(), bins.end());
  double previous = 0;
  for (std::size_t i = 0; i < bins.size(); ++i) {
    const double b = bins[i];
    double v = (b - max_bin) * (b - max_bin) / item;
    v += b * b / (item * item);
    v += b * b / (item * item * item);
    if (b > item) v = -v;
    // numpy's score[1:] -= score[:-1] subtracts the values before differencing.
    scores[i] = i == 0 ? v : v - previous;
    previous = v;
  }
}
// EVOLVE-BLOCK-END
