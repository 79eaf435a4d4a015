#include "archive/parent_weights.h"

#include <algorithm>
#include <cmath>

namespace crucible {
namespace {

// Never evaluates exp() of a large positive number, so it cannot overflow.
double StableSigmoid(double x) {
  if (std::isnan(x)) return 0.5;  // 0 * inf with sharpness 0 and an extreme fitness
  if (x >= 0) return 1.0 / (1.0 + std::exp(-x));
  const double e = std::exp(x);
  return e / (1.0 + e);
}

}  // namespace

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  const size_t mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + mid, values.end());
  const double upper = values[mid];
  if (values.size() % 2 == 1) return upper;
  // After nth_element everything before `mid` is <= upper; the lower middle
  // value is the largest of those.
  const double lower = *std::max_element(values.begin(), values.begin() + mid);
  return lower + (upper - lower) / 2;
}

std::vector<double> SigmoidFitnessWeights(std::span<const double> fitness, double sharpness) {
  std::vector<double> weights(fitness.size());
  if (fitness.empty()) return weights;
  const double median = Median(std::vector<double>(fitness.begin(), fitness.end()));
  std::vector<double> deviations(fitness.size());
  for (size_t i = 0; i < fitness.size(); ++i) deviations[i] = std::fabs(fitness[i] - median);
  double spread = Median(std::move(deviations));
  if (!(spread > 0)) {
    const auto [lo, hi] = std::minmax_element(fitness.begin(), fitness.end());
    spread = *hi - *lo;
  }
  if (!(spread > 0) || !std::isfinite(spread)) spread = 1;
  for (size_t i = 0; i < fitness.size(); ++i) {
    weights[i] = StableSigmoid(sharpness * ((fitness[i] - median) / spread));
  }
  return weights;
}

}  // namespace crucible
