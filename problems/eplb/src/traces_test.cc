// EPLB: the DeepSeek initial program against the DeepSeek README vector, the
// trace generator, mapping validation and the balancedness metric.
#include "problems/eplb/src/traces.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

namespace crucible::eplb {
namespace {

using testing::HasSubstr;

// problems/eplb/initial.cpp is compiled into this test.
TEST(DeepSeekInitialProgramTest, ReproducesTheReadmeExample) {
  Problem p;
  p.layers = 2;
  p.experts = 12;
  p.groups = 4;
  p.nodes = 2;
  p.gpus = 8;
  p.slots = 16;
  p.load = {90, 132, 40, 61, 104, 165, 39, 4, 73, 56, 183, 86,
            20, 107, 104, 64, 19, 197, 187, 157, 172, 86, 16, 27};
  const std::vector<int32_t> expected = {5, 6, 5, 7, 8, 4, 3, 4, 10, 9, 10, 2, 0, 1, 11, 1,
                                         7, 10, 6, 8, 6, 11, 8, 9, 2, 4, 5, 1, 5, 0, 3, 1};
  EXPECT_EQ(RebalanceExperts(p), expected);
}

TEST(DeepSeekInitialProgramTest, ValidOnADeepSeekV3ShapedTrace) {
  TraceOptions o;
  StatusOr<Trace> t = GenerateTrace(o);
  ASSERT_TRUE(t.ok());
  Problem p;
  p.load = (*t)[0];
  const std::vector<int32_t> m = RebalanceExperts(p);
  EXPECT_TRUE(ValidateMapping(p, std::vector<int64_t>(m.begin(), m.end())).ok());
  const Balancedness same = ComputeBalancedness(p, (*t)[0], m);
  const Balancedness next = ComputeBalancedness(p, (*t)[1], m);
  EXPECT_GT(same.gpu, 0.7);  // fitted on this window
  EXPECT_LT(next.gpu, same.gpu);  // the next window has drifted
  RecordProperty("same", std::to_string(same.gpu));
  RecordProperty("next", std::to_string(next.gpu));
  EXPECT_GT(next.gpu, 0.3);
}

TEST(GenerateTraceTest, DeterministicSkewedAndDrifting) {
  TraceOptions o;
  o.seed = 7;
  StatusOr<Trace> a = GenerateTrace(o), b = GenerateTrace(o);
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->size(), 20u);
  EXPECT_EQ(*a, *b);
  ASSERT_EQ((*a)[0].size(), 58u * 256u);
  // Each layer sums to ~3,276,800 tokens; the hottest expert carries several
  // times the mean; consecutive windows differ but are correlated.
  const int64_t sum = std::accumulate((*a)[0].begin(), (*a)[0].begin() + 256, int64_t{0});
  EXPECT_NEAR(static_cast<double>(sum), 3276800.0, 300.0);
  const int64_t hottest = *std::max_element((*a)[0].begin(), (*a)[0].begin() + 256);
  EXPECT_GT(hottest, 4 * 3276800 / 256);
  EXPECT_NE((*a)[0], (*a)[1]);
  o.seed = 8;
  StatusOr<Trace> c = GenerateTrace(o);
  EXPECT_NE((*a)[0], (*c)[0]);
  o.poisson = true;
  EXPECT_TRUE(GenerateTrace(o).ok());
  o.windows = 1;
  EXPECT_THAT(GenerateTrace(o).status().message(), HasSubstr("windows"));
  o.windows = 2;
  o.rho = 2;
  EXPECT_THAT(GenerateTrace(o).status().message(), HasSubstr("rho"));
}

TEST(ValidateMappingTest, RefusesTheSpecsLoopholes) {
  Problem p;
  p.layers = 1;
  p.experts = 4;
  p.groups = 2;
  p.nodes = 1;
  p.gpus = 2;
  p.slots = 6;
  EXPECT_TRUE(ValidateMapping(p, {0, 1, 2, 3, 0, 0}).ok());
  // §8.1-8.3: wrong slot count, -1 padding, unknown experts, dropped experts.
  EXPECT_THAT(ValidateMapping(p, {0, 1, 2, 3, 0}).message(), HasSubstr("5 entries"));
  EXPECT_THAT(ValidateMapping(p, {0, 1, 2, 3, 0, 0, 1}).message(), HasSubstr("7 entries"));
  EXPECT_THAT(ValidateMapping(p, {0, 1, 2, 3, -1, 0}).message(), HasSubstr("expert -1"));
  EXPECT_THAT(ValidateMapping(p, {0, 1, 2, 3, 4, 0}).message(), HasSubstr("expert 4"));
  EXPECT_THAT(ValidateMapping(p, {0, 1, 2, 2, 0, 0}).message(), HasSubstr("expert 3 has no"));
}

TEST(BalancednessTest, SplitsLoadOverReplicasAndIsARatioOfSums) {
  Problem p;
  p.layers = 2;
  p.experts = 2;
  p.groups = 1;
  p.nodes = 1;
  p.gpus = 2;
  p.slots = 4;  // 2 slots per GPU
  // Layer 0: expert 0 has 30, expert 1 has 10; mapping [0,1 | 0,0]:
  // slots 10,10 | 10,10 -> perfect. Layer 1: loads 0, 40, mapping [0,1 | 1,1]:
  // slots 0, 13.33 | 13.33, 13.33 -> GPU 13.33 vs 26.67.
  const std::vector<int64_t> load = {30, 10, 0, 40};
  const std::vector<int32_t> m = {0, 1, 0, 0, 0, 1, 1, 1};
  const Balancedness b = ComputeBalancedness(p, load, m);
  const float third = static_cast<float>(40.0 / 3);
  const double g_mean = 20 + (double(third) + double(third + third)) / 2;
  const double g_max = 20 + double(third + third);
  EXPECT_NEAR(b.gpu, g_mean / g_max, 1e-9);
  EXPECT_NEAR(b.expert, (10 + 40.0 / 4) / (10 + double(third)), 1e-6);
}

}  // namespace
}  // namespace crucible::eplb
