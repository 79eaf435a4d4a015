// The PRISM generator, validation and reference placements against the
// spec's test vectors and reference values (shared/problems/prism.md §3, §6).
#include "problems/prism/src/cases.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

namespace crucible::prism {
namespace {

using testing::HasSubstr;

double InverseMean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return 1.0 / (s / static_cast<double>(v.size()));
}

TEST(NumpyRandomStateTest, MatchesMt19937ReferenceOutput) {
  // init_genrand(5489) gives 3499211612 first (the MT19937 reference);
  // numpy's RandomState(5489) has the same first 32-bit output.
  NumpyRandomState rs(5489);
  EXPECT_EQ(rs.NextUint32(), 3499211612u);
  // std::mt19937's 10000th output of the default seed, a C++ standard vector.
  NumpyRandomState d(5489);
  uint32_t v = 0;
  for (int i = 0; i < 10000; ++i) v = d.NextUint32();
  EXPECT_EQ(v, 4123659995u);
}

TEST(NumpyRandomStateTest, RandIntStaysInRangeAndRejectsMaskedDraws) {
  NumpyRandomState rs(1);
  std::map<int64_t, int> seen;
  for (int i = 0; i < 2000; ++i) ++seen[rs.RandInt(5, 10)];
  EXPECT_EQ(seen.size(), 5u);
  EXPECT_EQ(seen.begin()->first, 5);
  EXPECT_EQ(seen.rbegin()->first, 9);
  NumpyRandomState one(1);
  EXPECT_EQ(one.RandInt(3, 4), 3);  // rng == 0 draws nothing
  NumpyRandomState fresh(1);
  EXPECT_EQ(one.NextUint32(), fresh.NextUint32());
}

TEST(GenerateStandardCasesTest, ReproducesThePublishedSet) {
  const std::vector<Case> cases = GenerateStandardCases(42, 50);
  ASSERT_EQ(cases.size(), 50u);
  // Spec §3: case 0 has G = 8 and begins (24,8,9), (16,3,7), (20,8,9), (13,8,7).
  EXPECT_EQ(cases[0].gpus, 8);
  ASSERT_EQ(cases[0].models.size(), 16u);
  const int expected[4][3] = {{24, 8, 9}, {16, 3, 7}, {20, 8, 9}, {13, 8, 7}};
  for (int j = 0; j < 4; ++j) {
    EXPECT_EQ(cases[0].models[j].size_gb, expected[j][0]) << j;
    EXPECT_EQ(cases[0].models[j].rate, expected[j][1]) << j;
    EXPECT_EQ(cases[0].models[j].slo, expected[j][2]) << j;
  }
  std::map<int, int> histogram;
  for (const Case& c : cases) {
    ++histogram[c.gpus];
    EXPECT_EQ(c.models.size(), static_cast<size_t>(2 * c.gpus));
  }
  EXPECT_EQ(histogram, (std::map<int, int>{{5, 11}, {6, 7}, {7, 10}, {8, 12}, {9, 10}}));
}

TEST(ReferenceValuesTest, SeedRoundRobinAndBoundMatchTheSpec) {
  const std::vector<Case> cases = GenerateStandardCases(42, 50);
  std::vector<double> seed, rr, bound;
  double lb_score = 0;
  for (const Case& c : cases) {
    const std::vector<int32_t> g = PrismGreedy(c);
    ASSERT_FALSE(g.empty());
    ASSERT_TRUE(ValidatePlacement(c, std::vector<int64_t>(g.begin(), g.end())).ok());
    seed.push_back(MaxKvpr(c, g));
    rr.push_back(MaxKvpr(c, RoundRobin(c)));
    bound.push_back(KvprLowerBound(c));
    lb_score += LeaderboardScore(c, seed.back());
  }
  // Spec §6: seed 20.8916 (mean 0.0478661), LB 60.82; round-robin mean
  // 0.0618380; bound mean 0.0352066 (1/mean 28.4038).
  EXPECT_NEAR(InverseMean(seed), 20.8916, 5e-5);
  EXPECT_NEAR(1.0 / InverseMean(seed), 0.0478661, 5e-8);
  EXPECT_NEAR(1.0 / InverseMean(rr), 0.0618380, 5e-8);
  EXPECT_NEAR(1.0 / InverseMean(bound), 0.0352066, 5e-8);
  EXPECT_NEAR(InverseMean(bound), 28.4038, 5e-5);
  EXPECT_NEAR(lb_score / 50, 60.82, 5e-3);
}

TEST(GenerateHardCasesTest, DeterministicFeasibleAndLarger) {
  const std::vector<Case> a = GenerateHardCases(7, 10), b = GenerateHardCases(7, 10);
  ASSERT_EQ(a.size(), 10u);
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].gpus, b[i].gpus);
    EXPECT_GE(a[i].gpus, 8);
    EXPECT_LE(a[i].gpus, 16);
    EXPECT_EQ(a[i].models.size(), static_cast<size_t>((i % 2 == 1 ? 3 : 2) * a[i].gpus));
    EXPECT_LT(MaxKvpr(a[i], PrismGreedy(a[i])), kOverfullKvpr);
    for (size_t j = 0; j < a[i].models.size(); ++j) {
      EXPECT_EQ(a[i].models[j].size_gb, b[i].models[j].size_gb);
    }
  }
}

TEST(ValidatePlacementTest, RefusesEveryLoophole) {
  Case c;
  c.gpus = 2;
  c.models = {{30, 1, 5}, {30, 1, 5}, {30, 1, 5}};
  EXPECT_TRUE(ValidatePlacement(c, {0, 0, 1}).ok());
  // spec §7.1: GPU ids beyond G.
  EXPECT_THAT(ValidatePlacement(c, {0, 1, 2}).message(), HasSubstr("GPU 2, which does not exist"));
  EXPECT_THAT(ValidatePlacement(c, {0, -1, 1}).message(), HasSubstr("does not exist"));
  // §7.3: overflow, dropped or duplicated models, an empty answer.
  EXPECT_THAT(ValidatePlacement(c, {0, 0, 0}).message(), HasSubstr("90 GB"));
  EXPECT_THAT(ValidatePlacement(c, {0, 1}).message(), HasSubstr("placed 2 models"));
  EXPECT_THAT(ValidatePlacement(c, {0, 1, 1, 0}).message(), HasSubstr("placed 4 models"));
  EXPECT_FALSE(ValidatePlacement(c, {}).ok());
}

TEST(MaxKvprTest, FollowsTheDefinition) {
  Case c;
  c.gpus = 3;
  c.models = {{40, 8, 4}, {20, 3, 6}, {80, 1, 1}};
  // GPU 0: (2 + 0.5) / (80 - 60) = 0.125; GPU 1: 1 / 0 -> 1e6; GPU 2 empty.
  EXPECT_DOUBLE_EQ(MaxKvpr(c, {0, 0, 1}), kOverfullKvpr);
  c.models[2].size_gb = 60;
  EXPECT_DOUBLE_EQ(MaxKvpr(c, {0, 0, 1}), 0.125);
  EXPECT_DOUBLE_EQ(KvprLowerBound(c), 3.5 / (240.0 - 120.0));
}

}  // namespace
}  // namespace crucible::prism
