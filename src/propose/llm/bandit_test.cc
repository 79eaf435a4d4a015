#include "propose/llm/bandit.h"

#include <gtest/gtest.h>

namespace crucible {
namespace {

TEST(UcbBandit, TriesEveryArmThenPrefersTheRewardingOne) {
  UcbBandit b({"a", "b", "c"}, {1, 1, 1}, 0.5);
  Rng rng(1);
  EXPECT_EQ(b.Choose(rng), 0u);
  b.Update(0, 0);
  EXPECT_EQ(b.Choose(rng), 1u);
  b.Update(1, 1);
  EXPECT_EQ(b.Choose(rng), 2u);
  b.Update(2, 0);
  int picks_b = 0;
  for (int i = 0; i < 100; ++i) {
    const size_t arm = b.Choose(rng);
    picks_b += arm == 1;
    b.Update(arm, arm == 1 ? 1.0 : 0.0);
  }
  EXPECT_GT(picks_b, 80);
}

TEST(UcbBandit, ZeroWeightArmIsNeverChosenAndStateRoundTrips) {
  UcbBandit b({"a", "b"}, {0, 1}, 1);
  Rng rng(2);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(b.Choose(rng), 1u);
    b.Update(1, 0.5);
  }
  UcbBandit c({"a", "b"}, {0, 1}, 1);
  ASSERT_TRUE(c.FromJson(b.ToJson()).ok());
  EXPECT_EQ(c.pulls(1), 10);
  EXPECT_DOUBLE_EQ(c.mean(1), 0.5);
  EXPECT_FALSE(c.FromJson("not json").ok());
}

TEST(ImprovementReward, ZeroUnlessBetter) {
  EXPECT_EQ(ImprovementReward(1.0, 2.0), 0);
  EXPECT_EQ(ImprovementReward(std::nullopt, 2.0), 0);
  EXPECT_GT(ImprovementReward(2.1, 2.0), 0.5);
  EXPECT_LE(ImprovementReward(100, 2.0), 1.0);
}

}  // namespace
}  // namespace crucible
