// Circle packing: place the disks so that the sum of their radii is as large
// as possible (see prompt.md and circle_packing.h). The initial program puts
// equal disks on a square grid.
#include <cstdint>
#include <vector>

#include "circle_packing.h"

// EVOLVE-BLOCK-START
std::vector<circles::Circle> circles::PackCircles(int n, circles::Container container,
                                                  uint64_t seed) {
  (void)container;  // the unit square also has perimeter 4
  (void)seed;
  int k = 1;
  while (k * k < n) ++k;  // k x k cells
  const double cell = 1.0 / k;
  // Slightly smaller than half a cell: the check has no tolerance, and
  // rounding must not make neighbours overlap.
  const double r = 0.5 * cell * (1 - 1e-9);
  std::vector<circles::Circle> result;
  for (int i = 0; i < n; ++i) {
    result.push_back({(i % k + 0.5) * cell, (i / k + 0.5) * cell, r});
  }
  return result;
}
// EVOLVE-BLOCK-END
