// circle_packing.h: the circle-packing problem as a candidate sees it (it is
// written next to the candidate as "circle_packing.h") and as crucible uses
// it (shared/problems/circle_packing.md). Standard library only.
//
// Place n closed disks with disjoint interiors in a container and maximise
// the sum of their radii. The candidate returns the disks; the harness checks
// them strictly (no tolerance) and computes the sum itself.
#ifndef CRUCIBLE_PROBLEMS_CIRCLE_PACKING_CIRCLE_PACKING_H_
#define CRUCIBLE_PROBLEMS_CIRCLE_PACKING_CIRCLE_PACKING_H_

#include <cstdint>
#include <vector>

namespace crucible::circles {

// A disk: centre (x, y), radius r.
struct Circle {
  double x = 0;
  double y = 0;
  double r = 0;
};

enum class Container {
  // The unit square [0, 1] x [0, 1]: every disk inside it.
  kUnitSquare,
  // Any axis-parallel rectangle of perimeter 4: the disks' bounding box must
  // have width + height <= 2; its position is free.
  kRectanglePerimeter4,
};

// The candidate's function: exactly `n` disks for `container`. It may search
// or optimise within the time limit; `seed` is for any randomness (the clock
// is not a good seed: evaluations must be repeatable).
std::vector<Circle> PackCircles(int n, Container container, uint64_t seed);

}  // namespace crucible::circles

namespace circles = ::crucible::circles;

#endif  // CRUCIBLE_PROBLEMS_CIRCLE_PACKING_CIRCLE_PACKING_H_
