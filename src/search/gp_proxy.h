// GpProxy: the proxy model of a parameter-space search (docs/search.md,
// "The proxy model"), ArchGym's idea of a cheap model that decides which
// asked points are worth a simulator call.
//
// A Gaussian-process regressor over the unit box [0, 1]^d: losses are
// standardised, the kernel is a squared exponential with one length scale
// for every coordinate plus a noise term, both picked from a small grid by
// the largest log marginal likelihood (no gradient steps: the grid keeps the
// fit a pure function of the data, cheap at the few hundred points a design
// search has). Predict returns the mean and standard deviation in the
// losses' own units.
//
// Determinism: the fit depends on the data and their order alone (no random
// numbers); callers pass the data in a stable order (the search proposer
// uses its sorted table of known results) so that a resumed run refits the
// same model bit for bit.
//
// Thread safety: none; one owner calls it.
#ifndef CRUCIBLE_SEARCH_GP_PROXY_H_
#define CRUCIBLE_SEARCH_GP_PROXY_H_

#include <memory>
#include <vector>

#include "core/status.h"

namespace crucible {

struct ProxyPrediction {
  double mean = 0;  // predicted loss (lower is better)
  double sd = 0;    // its standard deviation (0 at a training point without noise)
};

class GpProxy {
 public:
  GpProxy();
  ~GpProxy();
  GpProxy(GpProxy&&) noexcept;
  GpProxy& operator=(GpProxy&&) noexcept;

  // Fits the model to points `x` (each of the same dimension, coordinates in
  // [0, 1]) and their losses `y` (finite). InvalidArgument when the sizes
  // disagree, a value is not finite or there are fewer than two points.
  // Replaces any earlier fit.
  Status Fit(const std::vector<std::vector<double>>& x, const std::vector<double>& y);
  // The prediction at `x` (the fitted dimension). Before a successful Fit:
  // mean 0, sd 0.
  ProxyPrediction Predict(const std::vector<double>& x) const;

  // The hyperparameters the fit chose (for tests and the summary).
  double length_scale() const;
  double noise() const;

 private:
  struct Model;
  std::unique_ptr<Model> model_;  // null before a successful Fit
};

}  // namespace crucible

#endif  // CRUCIBLE_SEARCH_GP_PROXY_H_
