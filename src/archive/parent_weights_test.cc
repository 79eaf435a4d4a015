#include "archive/parent_weights.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace crucible {
namespace {

double Sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

TEST(ParentWeightsTest, Median) {
  EXPECT_EQ(Median({}), 0);
  EXPECT_EQ(Median({3}), 3);
  EXPECT_EQ(Median({5, 1, 3}), 3);
  EXPECT_EQ(Median({4, 1, 3, 2}), 2.5);
  EXPECT_EQ(Median({7, 7, 1, 9}), 7);
}

TEST(ParentWeightsTest, EmptyInput) {
  EXPECT_TRUE(SigmoidFitnessWeights(std::vector<double>{}, 10).empty());
}

TEST(ParentWeightsTest, AllEqualGiveOneHalf) {
  const std::vector<double> f = {2, 2, 2};
  for (double w : SigmoidFitnessWeights(f, 10)) EXPECT_EQ(w, 0.5);
}

TEST(ParentWeightsTest, NormalisedByMedianAbsoluteDeviation) {
  // median 3, deviations {2, 1, 0, 1, 2}: MAD 1.
  const std::vector<double> f = {1, 2, 3, 4, 5};
  const std::vector<double> w = SigmoidFitnessWeights(f, 10);
  ASSERT_EQ(w.size(), 5u);
  EXPECT_DOUBLE_EQ(w[2], 0.5);
  EXPECT_DOUBLE_EQ(w[3], Sigmoid(10));
  EXPECT_DOUBLE_EQ(w[1], Sigmoid(-10));
  EXPECT_DOUBLE_EQ(w[0], Sigmoid(-20));
  for (size_t i = 1; i < w.size(); ++i) EXPECT_GT(w[i], w[i - 1]);
}

TEST(ParentWeightsTest, ScaleInvariant) {
  const std::vector<double> a = {1, 2, 3, 4, 5};
  const std::vector<double> b = {1000, 2000, 3000, 4000, 5000};
  const std::vector<double> wa = SigmoidFitnessWeights(a, 10);
  const std::vector<double> wb = SigmoidFitnessWeights(b, 10);
  for (size_t i = 0; i < wa.size(); ++i) EXPECT_DOUBLE_EQ(wa[i], wb[i]);
}

TEST(ParentWeightsTest, ZeroDeviationFallsBackToRange) {
  // median 1, MAD 0 (three of four equal): spread = max - min = 4.
  const std::vector<double> f = {1, 1, 1, 5};
  const std::vector<double> w = SigmoidFitnessWeights(f, 10);
  EXPECT_DOUBLE_EQ(w[0], 0.5);
  EXPECT_DOUBLE_EQ(w[3], Sigmoid(10));
}

TEST(ParentWeightsTest, SharpnessZeroIsUniform) {
  const std::vector<double> f = {1, 50, 3};
  for (double w : SigmoidFitnessWeights(f, 0)) EXPECT_EQ(w, 0.5);
}

TEST(ParentWeightsTest, ExtremeValuesStayInUnitInterval) {
  const std::vector<double> f = {-1e308, 1e308, 0, 1};
  for (double sharpness : {0.0, 10.0, 1e6}) {
    for (double w : SigmoidFitnessWeights(f, sharpness)) {
      EXPECT_GE(w, 0.0);
      EXPECT_LE(w, 1.0);
    }
  }
}

}  // namespace
}  // namespace crucible
