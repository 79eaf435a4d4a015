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
  EXPECT_THAT(why->reason, HasSubstr("identical to program #7"));
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
  EXPECT_THAT(why->reason, HasSubstr("similar to program #3"));
  EXPECT_FALSE(index.Check(0, P("completely = different(code)\nwith_other = tokens\n")).has_value());
  NoveltyIndex strict(1.0);  // identical only
  strict.Add(0, 3, P(big));
  EXPECT_FALSE(strict.Check(0, P(near)).has_value());
}

std::string Big(int n, const std::string& extra = "") {
  std::string big;
  for (int i = 0; i < n; ++i) big += "v" + std::to_string(i) + " = f(" + std::to_string(i) + ")\n";
  return big + extra;
}

TEST(NoveltyIndex, HeldChildrenInFlightAreComparedUntilTheirResult) {
  NoveltyIndex index(0.95);
  const ParsedProgram a(P(Big(200, "extra = 1\n")));
  EXPECT_FALSE(index.CheckAndHold(0, 21, a).has_value());
  EXPECT_EQ(index.held_count(), 1u);
  // A near-copy of the child in flight, on its island, is refused.
  auto why = index.CheckAndHold(0, 22, ParsedProgram(P(Big(200, "extra = 2\n"))));
  ASSERT_TRUE(why.has_value());
  EXPECT_EQ(why->id, 21);
  EXPECT_TRUE(why->in_flight);
  EXPECT_FALSE(why->identical);
  EXPECT_THAT(why->reason, HasSubstr("similar to program #21, a child still being evaluated"));
  why = index.CheckAndHold(0, 23, a);
  ASSERT_TRUE(why.has_value());
  EXPECT_TRUE(why->identical);
  EXPECT_EQ(index.held_count(), 1u);  // refused children are not held
  EXPECT_FALSE(index.Check(1, a).has_value());  // another island
  // Not evaluated ok: released, no longer compared.
  index.Release(21);
  EXPECT_EQ(index.held_count(), 0u);
  EXPECT_FALSE(index.Check(0, a).has_value());
  // Evaluated ok: the hold becomes an evaluated entry (once, not twice).
  EXPECT_FALSE(index.CheckAndHold(0, 24, a).has_value());
  index.Add(0, 24, a);
  EXPECT_EQ(index.held_count(), 0u);
  why = index.Check(0, a);
  ASSERT_TRUE(why.has_value());
  EXPECT_FALSE(why->in_flight);
  EXPECT_EQ(why->id, 24);
  index.Release(24);  // no hold any more: a no-op
  EXPECT_TRUE(index.Check(0, a).has_value());
}

TEST(NoveltyIndex, TheMostSimilarMatchIsNamedAndNearCopiesCanBeLetThrough) {
  NoveltyIndex index(0.9);
  index.Add(0, 1, P(Big(100, "a = 1\nb = 2\nc = 3\n")));
  index.Add(0, 2, P(Big(100, "a = 1\n")));
  index.Add(NoveltyIndex::kEveryIsland, 0, P("completely = different(code)\n"));
  const ParsedProgram child(P(Big(100, "a = 1\nb = 2\n")));
  auto why = index.Check(0, child);
  ASSERT_TRUE(why.has_value());
  // #1 shares more 3-grams than #2; both are over the threshold.
  EXPECT_EQ(why->id, 1);
  EXPECT_GT(why->similarity, 0.9);
  EXPECT_FALSE(index.Check(0, child, nullptr, /*identical_only=*/true).has_value());
  // An identical program is refused whatever a judge said.
  EXPECT_TRUE(index.Check(0, ParsedProgram(P(Big(100, "a = 1\n"))), nullptr, true).has_value());
  // Programs on kEveryIsland are compared with every island's children.
  EXPECT_TRUE(index.Check(5, P("completely = different(code)\n")).has_value());
}

TEST(NoveltyIndex, JaccardOfSets) {
  EXPECT_DOUBLE_EQ(NoveltyIndex::Jaccard({1, 2, 3}, {2, 3, 4}), 0.5);
  EXPECT_DOUBLE_EQ(NoveltyIndex::Jaccard({}, {}), 1.0);
}

}  // namespace
}  // namespace crucible
