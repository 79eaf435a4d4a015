// bin_packing.h: the function a bin_packing candidate implements.
#ifndef CRUCIBLE_BIN_PACKING_H_
#define CRUCIBLE_BIN_PACKING_H_

#include <span>

// Called once for each arriving item, before the next one is known.
//   item    the item's size (a positive integer, as a double)
//   bins    the remaining capacity of every bin that can take the item
//           (remaining >= item), in ascending bin order, never-used bins
//           included (their remaining capacity is the bin capacity)
//   scores  same length as bins: write one finite score per bin
// The item goes into the bin with the highest score (the first one on ties).
// A NaN, an infinite or an unset score fails the candidate.
void priority(double item, std::span<const double> bins, std::span<double> scores);

#endif  // CRUCIBLE_BIN_PACKING_H_
