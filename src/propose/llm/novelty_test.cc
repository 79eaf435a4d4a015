#include "propose/llm/novelty.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace crucible {
namespace {

using ::testing::HasSubstr;

Program P(std::string code) { return Program{{SourceFile{"a.py", std::move(code)}}}; }

TEST(NoveltyIndex, RejectsIdenticalUpToCommentsOnTheSameIslandOnly) {
  NoveltyIndex index(0.9);
  index.Add(0, 7, P("x = 1\ny = x + 2\n"));
  auto why = index.Check(0, P("x = 1   # a comment\ny = x + 2\n"));
  ASSERT_TRUE(why.has_value());
  EXPECT_THAT(*why, HasSubstr("identical to program #7"));
  EXPECT_FALSE(index.Check(1, P("x = 1\ny = x + 2\n")).has_value());
}

TEST(NoveltyIndex, NearCopiesOverTheThresholdAreRejected) {
  std::string big;
  for (int i = 0; i < 200; ++i) big += "v" + std::to_string(i) + " = f(" + std::to_string(i) + ")\n";
  NoveltyIndex index(0.95);
  index.Add(0, 3, P(big));
  std::string near = big + "extra = 1\n";
  auto why = index.Check(0, P(near));
  ASSERT_TRUE(why.has_value());
  EXPECT_THAT(*why, HasSubstr("similar to program #3"));
  EXPECT_FALSE(index.Check(0, P("completely = different(code)\nwith_other = tokens\n")).has_value());
  NoveltyIndex strict(1.0);  // identical only
  strict.Add(0, 3, P(big));
  EXPECT_FALSE(strict.Check(0, P(near)).has_value());
}

TEST(NoveltyIndex, JaccardOfSets) {
  EXPECT_DOUBLE_EQ(NoveltyIndex::Jaccard({1, 2, 3}, {2, 3, 4}), 0.5);
  EXPECT_DOUBLE_EQ(NoveltyIndex::Jaccard({}, {}), 1.0);
}

}  // namespace
}  // namespace crucible
