#include "core/rng.h"

#include <gtest/gtest.h>

#include <set>

namespace crucible {
namespace {

TEST(RngTest, SameSeedSameSequence) {
  Rng a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    const uint64_t x = a.Next();
    EXPECT_EQ(x, b.Next());
    differs |= x != c.Next();
  }
  EXPECT_TRUE(differs);
}

TEST(RngTest, SerializeRoundTripsMidStream) {
  Rng a(7);
  for (int i = 0; i < 13; ++i) a.Next();
  std::optional<Rng> b = Rng::Deserialize(a.Serialize());
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(*b, a);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(a.Next(), b->Next());
  EXPECT_FALSE(Rng::Deserialize("xyz").has_value());
  EXPECT_FALSE(Rng::Deserialize(std::string(64, 'g')).has_value());
}

TEST(RngTest, UniformStaysInRangeAndCoversIt) {
  Rng r(1);
  std::set<int64_t> seen;
  for (int i = 0; i < 2000; ++i) {
    const int64_t v = r.UniformInt(-3, 3);
    ASSERT_GE(v, -3);
    ASSERT_LE(v, 3);
    seen.insert(v);
    const double d = r.UniformDouble();
    ASSERT_GE(d, 0.0);
    ASSERT_LT(d, 1.0);
  }
  EXPECT_EQ(seen.size(), 7u);
  EXPECT_EQ(r.UniformInt(5, 5), 5);
}

TEST(RngTest, NormalHasRoughlyUnitMoments) {
  Rng r(3);
  double sum = 0, sq = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    const double x = r.Normal();
    sum += x;
    sq += x * x;
  }
  EXPECT_NEAR(sum / n, 0.0, 0.05);
  EXPECT_NEAR(sq / n, 1.0, 0.05);
}

TEST(RngTest, DeriveSeedSeparatesStreams) {
  EXPECT_EQ(DeriveSeed(1, 5), DeriveSeed(1, 5));
  EXPECT_NE(DeriveSeed(1, 5), DeriveSeed(1, 6));
  EXPECT_NE(DeriveSeed(1, 5), DeriveSeed(2, 5));
}

}  // namespace
}  // namespace crucible
