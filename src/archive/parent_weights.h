// The fitness part of ShinkaEvolve's weighted parent sampling, as a pure
// function so it can be tested on its own. The archive divides each weight by
// (1 + children) when it draws.
#ifndef CRUCIBLE_ARCHIVE_PARENT_WEIGHTS_H_
#define CRUCIBLE_ARCHIVE_PARENT_WEIGHTS_H_

#include <span>
#include <vector>

namespace crucible {

// The median of `values` (mean of the two middle values for an even count);
// 0 for none. Takes a copy because it reorders.
double Median(std::vector<double> values);

// weight_i = sigmoid(sharpness * (f_i - median) / spread), where spread is the
// median absolute deviation from the median; when that is 0 (more than half
// the values are equal) the full range max - min; when that is 0 too (all
// equal) 1, so every weight is 0.5. Each weight is in [0, 1]; the member at
// or above the median gets at least 0.5, so the sum is never 0 for a
// non-empty input. Finite inputs only.
std::vector<double> SigmoidFitnessWeights(std::span<const double> fitness, double sharpness);

}  // namespace crucible

#endif  // CRUCIBLE_ARCHIVE_PARENT_WEIGHTS_H_
