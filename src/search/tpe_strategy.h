// A small Tree-structured Parzen Estimator (Bergstra et al., 2011), the
// model-based strategy for expensive evaluators (pagmo has none).
//
// The first max(10, 2d) points are uniform. After that, the told results are
// split into the best ceil(0.25 sqrt(n)) ("good", hyperopt's rule) and the
// rest ("bad"); each coordinate of the unit box gets two Parzen densities — l(u)
// over the good points, g(u) over the bad, each a mixture of Gaussians at
// the points (bandwidth from the spread of the points, at least 0.02) and a
// uniform prior with the weight of one point. Each ask draws 24 candidates
// from l and returns the one with the largest sum over coordinates of
// log l(u) - log g(u). Coordinates are independent (no tree structure:
// crucible's spaces are flat).
//
// Asks never wait for results (points in flight are not modelled); ask i
// draws from its own stream of the seed and the results told so far, kept
// sorted so the order of tells does not matter. Single objective only.
#ifndef CRUCIBLE_SEARCH_TPE_STRATEGY_H_
#define CRUCIBLE_SEARCH_TPE_STRATEGY_H_

#include <memory>

#include "search/strategy.h"

namespace crucible {

// options.kind == kTpe, options valid.
std::unique_ptr<Strategy> MakeTpeStrategy(const StrategyOptions& options);

}  // namespace crucible

#endif  // CRUCIBLE_SEARCH_TPE_STRATEGY_H_
