// Online bin packing: the priority function that decides where each arriving
// item goes (see prompt.md and bin_packing.h).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>

#include "bin_packing.h"

// EVOLVE-BLOCK-START
// Best fit: prefer the bin that the item leaves with the least room.
void priority(double item, std::span<const double> bins, std::span<double> scores) {
  for (std::size_t i = 0; i < bins.size(); ++i) {
    const double slack = bins[i] - item;  // room left in bin i after placing the item
    scores[i] = -slack;
  }
}
// EVOLVE-BLOCK-END
