#include "archive/feature_grid.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "archive/archive_test_util.h"

namespace crucible {
namespace {

using testing::Entry;

TEST(FeatureGridTest, FixedRangeBinsAndClamps) {
  FeatureGrid grid({{"x", 10, 0.0, 10.0}});
  EXPECT_EQ(grid.total_cells(), 10);
  EXPECT_EQ(grid.CellOf(Entry(1, 0, 0, 0.0)), 0);
  EXPECT_EQ(grid.CellOf(Entry(1, 0, 0, 0.5)), 0);
  EXPECT_EQ(grid.CellOf(Entry(1, 0, 0, 3.5)), 3);
  EXPECT_EQ(grid.CellOf(Entry(1, 0, 0, 9.99)), 9);
  EXPECT_EQ(grid.CellOf(Entry(1, 0, 0, 10.0)), 9);   // the top edge belongs to the last bin
  EXPECT_EQ(grid.CellOf(Entry(1, 0, 0, -5.0)), 0);   // clamped
  EXPECT_EQ(grid.CellOf(Entry(1, 0, 0, 1e300)), 9);  // clamped
}

TEST(FeatureGridTest, FixedRangeIgnoresObservedValues) {
  FeatureGrid grid({{"x", 4, 0.0, 4.0}});
  grid.Observe(Entry(1, 0, 0, 100.0));
  EXPECT_EQ(grid.Low(0), 0.0);
  EXPECT_EQ(grid.High(0), 4.0);
  EXPECT_EQ(grid.CellOf(Entry(2, 0, 0, 2.5)), 2);
}

TEST(FeatureGridTest, AdaptiveRangeFollowsValuesSeen) {
  FeatureGrid grid({{"x", 10, {}, {}}});
  EXPECT_EQ(grid.Low(0), std::numeric_limits<double>::infinity());
  // One value seen: min == max, so everything is bin 0.
  grid.Observe(Entry(1, 0, 0, 5.0));
  EXPECT_EQ(grid.CellOf(Entry(1, 0, 0, 5.0)), 0);
  EXPECT_EQ(grid.CellOf(Entry(1, 0, 0, 7.0)), 0);
  grid.Observe(Entry(2, 0, 0, 0.0));
  grid.Observe(Entry(3, 0, 0, 20.0));
  EXPECT_EQ(grid.Low(0), 0.0);
  EXPECT_EQ(grid.High(0), 20.0);
  EXPECT_EQ(grid.CellOf(Entry(1, 0, 0, 5.0)), 2);
  EXPECT_EQ(grid.CellOf(Entry(1, 0, 0, 20.0)), 9);
  EXPECT_EQ(grid.CellOf(Entry(1, 0, 0, 25.0)), 9);  // above what was seen: clamped
}

TEST(FeatureGridTest, OneFixedBoundAndOneAdaptive) {
  FeatureGrid grid({{"x", 4, 0.0, {}}});
  grid.Observe(Entry(1, 0, 0, -3.0));  // below the fixed min: the range is still [0, ?]
  EXPECT_EQ(grid.CellOf(Entry(1, 0, 0, 1.0)), 0);  // hi = -3 <= lo = 0: empty range
  grid.Observe(Entry(2, 0, 0, 8.0));
  EXPECT_EQ(grid.Low(0), 0.0);
  EXPECT_EQ(grid.High(0), 8.0);
  EXPECT_EQ(grid.CellOf(Entry(3, 0, 0, 5.0)), 2);
  EXPECT_EQ(grid.CellOf(Entry(3, 0, 0, -3.0)), 0);
}

TEST(FeatureGridTest, TwoDimensionsAreRowMajor) {
  FeatureGrid grid({{"x", 4, 0.0, 4.0}, {"y", 3, 0.0, 3.0}});
  EXPECT_EQ(grid.total_cells(), 12);
  EXPECT_EQ(grid.CellOf(Entry(1, 0, 0, 2.5, 1.5)), 2 * 3 + 1);
  EXPECT_EQ(grid.Coords(7), (std::vector<int>{2, 1}));
  EXPECT_EQ(grid.Coords(11), (std::vector<int>{3, 2}));
  EXPECT_EQ(grid.Coords(0), (std::vector<int>{0, 0}));
}

TEST(FeatureGridTest, ValuesComeFromFeaturesThenMetrics) {
  ArchiveEntry e = Entry(1, 0);
  e.metrics["m"] = 2.0;
  EXPECT_EQ(FeatureValue(e, "m"), 2.0);
  e.features["m"] = 3.0;
  EXPECT_EQ(FeatureValue(e, "m"), 3.0);  // features win over metrics
  EXPECT_EQ(FeatureValue(e, "absent"), std::nullopt);
}

TEST(FeatureGridTest, CodeLengthIsBuiltIn) {
  ArchiveEntry e = Entry(1, 0);
  e.code_length = 1234;
  e.features["code_length"] = 7.0;  // the built-in wins: the archive measures it, not the evaluator
  EXPECT_EQ(FeatureValue(e, "code_length"), 1234.0);
  FeatureGrid grid({{"code_length", 10, 0.0, 10000.0}});
  EXPECT_EQ(grid.CellOf(e), 1);
}

TEST(FeatureGridTest, MissingOrNonFiniteValueHasNoCell) {
  FeatureGrid grid({{"x", 4, {}, {}}, {"y", 4, 0.0, 4.0}});
  EXPECT_EQ(grid.CellOf(Entry(1, 0, 0, 1.0)), std::nullopt);  // y missing
  EXPECT_EQ(grid.CellOf(Entry(1, 0, 0, std::nan(""), 1.0)), std::nullopt);
  EXPECT_EQ(grid.CellOf(Entry(1, 0, 0, std::numeric_limits<double>::infinity(), 1.0)),
            std::nullopt);
  // Observe skips the values it cannot use.
  grid.Observe(Entry(1, 0, 0, std::nan("")));
  grid.Observe(Entry(2, 0, 0, -std::numeric_limits<double>::infinity()));
  EXPECT_EQ(grid.Low(0), std::numeric_limits<double>::infinity());
  grid.Observe(Entry(3, 0, 0, 2.0));
  EXPECT_EQ(grid.Low(0), 2.0);
  EXPECT_EQ(grid.High(0), 2.0);
}

TEST(FeatureGridTest, NoDimensionsMeansOneCell) {
  FeatureGrid grid({});
  EXPECT_EQ(grid.total_cells(), 1);
  EXPECT_EQ(grid.CellOf(Entry(1, 0)), 0);
  EXPECT_TRUE(grid.Coords(0).empty());
}

}  // namespace
}  // namespace crucible
