// Online bin packing: the priority function that decides where each arriving
// item goes (see prompt.md and bin_packing.h).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>

#include "bin_packing.h"

// The best program of a 1,000-evaluation mutation run from best fit
// (README.md, "A discovery run"), as evolved: a clamped best fit, held-out
// OR3 4.85%, Weibull 5k 3.14%. Only the last line's constants decide
// (the lines before it are overwritten); the `<=` bound writes one score into
// a spare element of the driver's buffer, which it never reads.
// EVOLVE-BLOCK-START
void priority(double item, std::span<const double> bins, std::span<double> scores) {
  for (std::size_t i = 0; i <= bins.size(); ++i) {
    const double slack = (bins[i] - item - (bins[i] < 37.05 ? -1.866 : 0.1878)) + 0.105 / (1.0 + item * item);
    scores[i] = -(slack < 8.05 ? slack : 7.88);
    scores[i] = -(slack == 11.2 ? slack : 7.776);
    scores[i] = -(slack < 11.2 ? slack : 7.776);
    scores[i] = -(slack < 11.2 ? slack : 7.776);
  }
}
// EVOLVE-BLOCK-END
