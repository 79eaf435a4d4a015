#include "search/gp_proxy.h"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "core/rng.h"

namespace crucible {
namespace {

// A smooth bowl with its minimum at (0.3, 0.7) and a ridge along x0.
double Bowl(const std::vector<double>& x) {
  return std::pow(x[0] - 0.3, 2) + 2 * std::pow(x[1] - 0.7, 2) + 0.1 * std::sin(6 * x[0]);
}

std::vector<std::vector<double>> Uniform(int n, uint64_t seed) {
  std::vector<std::vector<double>> out;
  for (int i = 0; i < n; ++i) {
    Rng rng(DeriveSeed(seed, static_cast<uint64_t>(i)));
    out.push_back({rng.UniformDouble(), rng.UniformDouble()});
  }
  return out;
}

TEST(GpProxyTest, PredictsASmoothFunctionAwayFromItsPoints) {
  const auto train = Uniform(40, 1), test = Uniform(40, 2);
  std::vector<double> y;
  for (const auto& x : train) y.push_back(Bowl(x));
  GpProxy gp;
  ASSERT_TRUE(gp.Fit(train, y).ok());
  double err = 0, spread = 0;
  for (const auto& x : test) {
    err += std::abs(gp.Predict(x).mean - Bowl(x));
    spread += std::abs(Bowl(x) - Bowl({0.5, 0.5}));
  }
  // Within a tenth of the function's own variation.
  EXPECT_LT(err, 0.1 * spread) << "error " << err << ", spread " << spread;
  // At a training point the model is nearly exact and nearly certain; far
  // from every point (a corner with none near) it is less certain.
  const ProxyPrediction at = gp.Predict(train[0]);
  EXPECT_NEAR(at.mean, y[0], 0.02);
  EXPECT_LT(at.sd, gp.Predict({1.6, -0.6}).sd);
  EXPECT_GT(gp.length_scale(), 0);
}

TEST(GpProxyTest, TheFitIsAFunctionOfTheData) {
  const auto train = Uniform(25, 3);
  std::vector<double> y;
  for (const auto& x : train) y.push_back(Bowl(x));
  GpProxy a, b;
  ASSERT_TRUE(a.Fit(train, y).ok());
  ASSERT_TRUE(b.Fit(train, y).ok());
  for (const auto& x : Uniform(10, 4)) {
    EXPECT_EQ(a.Predict(x).mean, b.Predict(x).mean);
    EXPECT_EQ(a.Predict(x).sd, b.Predict(x).sd);
  }
}

TEST(GpProxyTest, RefusesWhatItCannotFit) {
  GpProxy gp;
  EXPECT_EQ(gp.Predict({0.5}).mean, 0);  // unfitted
  EXPECT_EQ(gp.Fit({{0.1}}, {1.0}).message(), "proxy: needs two or more points, one loss each");
  EXPECT_EQ(gp.Fit({{0.1}, {0.2}}, {1.0}).message(), "proxy: needs two or more points, one loss each");
  EXPECT_EQ(gp.Fit({{0.1}, {0.2, 0.3}}, {1.0, 2.0}).message(), "proxy: points of different dimensions");
  EXPECT_EQ(gp.Fit({{0.1}, {0.2}}, {1.0, NAN}).message(), "proxy: a loss is not finite");
  // Equal losses (no spread to standardise) still fit: a flat model.
  ASSERT_TRUE(gp.Fit({{0.1}, {0.9}}, {2.0, 2.0}).ok());
  EXPECT_NEAR(gp.Predict({0.5}).mean, 2.0, 1e-9);
}

}  // namespace
}  // namespace crucible
