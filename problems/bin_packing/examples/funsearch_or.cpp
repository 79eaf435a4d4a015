// FunSearch's heuristic for the OR datasets (Romera-Paredes et al., Nature
// 2024; notebook cell 8): a step function of the room a bin would have left.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>

#include "bin_packing.h"

// EVOLVE-BLOCK-START
void priority(double item, std::span<const double> bins, std::span<double> scores) {
  for (std::size_t i = 0; i < bins.size(); ++i) {
    const double d = bins[i] - item;
    double s;
    if (d <= 2) {
      s = 4;
    } else if (d <= 3) {
      s = 3;
    } else if (d <= 5) {
      s = 2;
    } else if (d <= 7) {
      s = 1;
    } else if (d <= 9) {
      s = 0.9;
    } else if (d <= 12) {
      s = 0.95;
    } else if (d <= 15) {
      s = 0.97;
    } else if (d <= 21) {
      s = 0.98;
    } else {
      s = 0.99;
    }
    scores[i] = s;
  }
}
// EVOLVE-BLOCK-END
