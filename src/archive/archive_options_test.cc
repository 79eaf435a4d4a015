#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "archive/archive.h"

namespace crucible {
namespace {

void ExpectInvalid(const ArchiveOptions& o, const std::string& message) {
  const Status s = o.Validate();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), message);
}

TEST(ArchiveOptionsTest, DefaultsAreValid) { EXPECT_TRUE(ArchiveOptions().Validate().ok()); }

TEST(ArchiveOptionsTest, DefaultsFollowOpenEvolveAndShinka) {
  const ArchiveOptions o;
  EXPECT_EQ(o.features.size(), 1u);
  EXPECT_EQ(o.features[0].name, "code_length");
  EXPECT_EQ(o.features[0].bins, 10);
  EXPECT_DOUBLE_EQ(o.selection.uniform, 0.2);
  EXPECT_DOUBLE_EQ(o.selection.weighted, 0.7);
  EXPECT_DOUBLE_EQ(o.selection.elite, 0.1);
  EXPECT_EQ(o.migration_interval, 50);
  EXPECT_DOUBLE_EQ(o.migration_rate, 0.1);
}

TEST(ArchiveOptionsTest, NumIslands) {
  ArchiveOptions o;
  o.num_islands = 0;
  ExpectInvalid(o, "archive.num_islands must be >= 1 (got 0)");
  o.num_islands = 5000;
  ExpectInvalid(o, "archive.num_islands must be <= 4096 (got 5000)");
}

TEST(ArchiveOptionsTest, FeatureFields) {
  ArchiveOptions o;
  o.features = {{"code_length", 10, {}, {}}, {"", 5, {}, {}}};
  ExpectInvalid(o, "archive.features[1].name must not be empty");
  o.features = {{"x", 0, {}, {}}};
  ExpectInvalid(o, "archive.features[0].bins must be >= 1 (got 0) for feature \"x\"");
  o.features = {{"x", 4, 2.0, 2.0}};
  ExpectInvalid(o, "archive.features[0].min must be < archive.features[0].max (got 2 and 2) "
                   "for feature \"x\"");
  o.features = {{"x", 4, 3.0, 1.5}};
  ExpectInvalid(o, "archive.features[0].min must be < archive.features[0].max (got 3 and 1.5) "
                   "for feature \"x\"");
  o.features = {{"x", 4, std::nan(""), {}}};
  ExpectInvalid(o, "archive.features[0].min must be finite (got nan) for feature \"x\"");
  o.features = {{"x", 4, {}, std::numeric_limits<double>::infinity()}};
  ExpectInvalid(o, "archive.features[0].max must be finite (got inf) for feature \"x\"");
  o.features = {{"x", 4, {}, {}}, {"y", 4, {}, {}}, {"x", 2, {}, {}}};
  ExpectInvalid(o, "archive.features[2].name \"x\" is used twice");
}

TEST(ArchiveOptionsTest, TooManyCells) {
  ArchiveOptions o;
  o.features = {{"a", 1 << 20, {}, {}}, {"b", 1 << 20, {}, {}}, {"c", 2, {}, {}}};
  ExpectInvalid(o, "archive.features: the product of bins must be <= 1099511627776 "
                   "(exceeded at features[2])");
}

TEST(ArchiveOptionsTest, NoFeaturesIsValid) {
  ArchiveOptions o;
  o.features.clear();
  EXPECT_TRUE(o.Validate().ok());
}

TEST(ArchiveOptionsTest, EliteSize) {
  ArchiveOptions o;
  o.elite_size = 0;
  ExpectInvalid(o, "archive.elite_size must be >= 1 (got 0)");
}

TEST(ArchiveOptionsTest, SelectionWeights) {
  ArchiveOptions o;
  o.selection.weighted = -0.5;
  ExpectInvalid(o, "archive.selection.weighted must be finite and >= 0 (got -0.5)");
  o.selection = {};
  o.selection.elite = std::nan("");
  ExpectInvalid(o, "archive.selection.elite must be finite and >= 0 (got nan)");
  o.selection = {0, 0, 0};
  ExpectInvalid(o, "archive.selection: at least one of uniform, weighted, elite must be > 0 "
                   "(got all 0)");
  o.selection = {0, 0, 3};
  EXPECT_TRUE(o.Validate().ok());
}

TEST(ArchiveOptionsTest, ScalarFields) {
  ArchiveOptions o;
  o.weighted_sharpness = -1;
  ExpectInvalid(o, "archive.weighted_sharpness must be finite and >= 0 (got -1)");
  o = {};
  o.num_top_inspirations = -1;
  ExpectInvalid(o, "archive.num_top_inspirations must be >= 0 (got -1)");
  o = {};
  o.num_diverse_inspirations = -2;
  ExpectInvalid(o, "archive.num_diverse_inspirations must be >= 0 (got -2)");
  o = {};
  o.migration_interval = -1;
  ExpectInvalid(o, "archive.migration_interval must be >= 0 (0 = never; got -1)");
  o = {};
  o.migration_rate = 1.5;
  ExpectInvalid(o, "archive.migration_rate must be in [0, 1] (got 1.5)");
  o.migration_rate = std::nan("");
  ExpectInvalid(o, "archive.migration_rate must be in [0, 1] (got nan)");
}

TEST(ArchiveOptionsTest, CreateReportsValidateError) {
  ArchiveOptions o;
  o.num_islands = 0;
  const StatusOr<std::unique_ptr<Archive>> archive = Archive::Create(o);
  ASSERT_FALSE(archive.ok());
  EXPECT_EQ(archive.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(archive.status().message(), "archive.num_islands must be >= 1 (got 0)");
}

TEST(ArchiveOptionsTest, PolicyNames) {
  EXPECT_EQ(SelectionPolicyName(SelectionPolicy::kUniform), "uniform");
  EXPECT_EQ(SelectionPolicyName(SelectionPolicy::kWeighted), "weighted");
  EXPECT_EQ(SelectionPolicyName(SelectionPolicy::kElite), "elite");
}

}  // namespace
}  // namespace crucible
