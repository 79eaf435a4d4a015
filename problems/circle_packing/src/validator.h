// The strict circle-packing validator (shared/problems/circle_packing.md §5):
// exact count, finite values, non-negative radii, containment and pairwise
// disjointness, each phrased as "accept only if the valid condition holds" so
// that a NaN fails every test, with tolerance 0 by default. The sum of radii
// is recomputed here; nothing the candidate reports is used.
//
// validator.cc is compiled with -ffp-contract=off so that
// sqrt(dx*dx + dy*dy) >= r_i + r_j gives the reference verdict bit for bit.
#ifndef CRUCIBLE_PROBLEMS_CIRCLE_PACKING_VALIDATOR_H_
#define CRUCIBLE_PROBLEMS_CIRCLE_PACKING_VALIDATOR_H_

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "problems/circle_packing/circle_packing.h"

namespace crucible::circles {

struct PackingInstance {
  std::string name;  // "square_26", "square_32", "rect_21"
  Container container = Container::kUnitSquare;
  int n = 0;
};

// The three instances of AlphaEvolve B.12 / B.13.
const std::vector<PackingInstance>& PublishedInstances();
const PackingInstance* FindInstance(std::string_view name);

struct ValidationResult {
  bool valid = false;
  // Why it is invalid, naming the circle(s) (0-based) and the numbers.
  std::string message;
  double sum_radii = 0;  // left to right, in double; 0 when invalid
  // The smallest slack over all the checks (pair gap, wall gap, 2 - (w + h)):
  // how close the packing is to failing. Only set when valid.
  double min_slack = 0;
  // Width and height of the disks' bounding box (reported for rectangles).
  double width = 0;
  double height = 0;
};

// `tol` > 0 loosens every test by tol (for shaping feedback only; a score
// obtained with tol > 0 is not comparable with tol-0 scores).
ValidationResult ValidatePacking(const PackingInstance& instance, std::span<const Circle> circles,
                                 double tol = 0);

// Parses "x y r" lines (the data files' format; also the driver's answer
// lines without their prefix). Values are parsed as double with strtod
// semantics; "nan" and "inf" parse (and then fail validation).
StatusOr<std::vector<Circle>> ParseCircles(std::string_view text);

}  // namespace crucible::circles

#endif  // CRUCIBLE_PROBLEMS_CIRCLE_PACKING_VALIDATOR_H_
