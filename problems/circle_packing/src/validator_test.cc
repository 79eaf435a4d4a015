#include "problems/circle_packing/src/validator.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

namespace crucible::circles {
namespace {

using testing::HasSubstr;

std::vector<Circle> LoadConstruction(const std::string& file) {
  std::ifstream in(std::string(CRUCIBLE_PROBLEMS_DIR) + "/circle_packing/data/" + file);
  std::ostringstream text;
  text << in.rdbuf();
  StatusOr<std::vector<Circle>> c = ParseCircles(text.str());
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? *c : std::vector<Circle>{};
}

struct Published {
  const char* instance;
  const char* file;
  double sum;  // the notebook's np.sum
};
const Published kPublished[] = {
    {"square_26", "alphaevolve_square_n26.txt", 2.6358627564136983},
    {"square_32", "alphaevolve_square_n32.txt", 2.937944526205518},
    {"rect_21", "alphaevolve_rect_perimeter4_n21.txt", 2.3658321334167627},
};

TEST(CirclePacking, AlphaEvolveConstructionsPassAtToleranceZero) {
  for (const Published& p : kPublished) {
    const std::vector<Circle> c = LoadConstruction(p.file);
    const ValidationResult r = ValidatePacking(*FindInstance(p.instance), c);
    EXPECT_TRUE(r.valid) << p.instance << ": " << r.message;
    EXPECT_NEAR(r.sum_radii, p.sum, 1e-12) << p.instance;
    // The authors shrank the radii a little: the tightest slack is ~1e-8.
    EXPECT_GT(r.min_slack, 0) << p.instance;
    EXPECT_LT(r.min_slack, 1e-7) << p.instance;
  }
}

TEST(CirclePacking, RectangleConstructionUsesPerimeterAlmostFour) {
  const ValidationResult r = ValidatePacking(
      *FindInstance("rect_21"), LoadConstruction("alphaevolve_rect_perimeter4_n21.txt"));
  ASSERT_TRUE(r.valid) << r.message;
  EXPECT_NEAR(r.width + r.height, 1.99999997, 1e-8);
  // The same disks do not fit in the unit square.
  EXPECT_FALSE(ValidatePacking({"r", Container::kUnitSquare, 21},
                               LoadConstruction("alphaevolve_rect_perimeter4_n21.txt"))
                   .valid);
}

std::vector<Circle> Transform(std::vector<Circle> c, double scale, double add) {
  for (Circle& x : c) x.r = x.r * scale + add;
  return c;
}

TEST(CirclePacking, ScaledRadiiFailAtOnePlus1e7PassAtOnePlus1e8) {
  for (const Published& p : kPublished) {
    const std::vector<Circle> c = LoadConstruction(p.file);
    const PackingInstance& inst = *FindInstance(p.instance);
    EXPECT_FALSE(ValidatePacking(inst, Transform(c, 1 + 1e-7, 0)).valid) << p.instance;
    EXPECT_TRUE(ValidatePacking(inst, Transform(c, 1 + 1e-8, 0)).valid) << p.instance;
  }
}

TEST(CirclePacking, AddingFiveTenMillionthsFailsStrictButPassesTheLooseTolerance) {
  for (const Published& p : kPublished) {
    const std::vector<Circle> grown = Transform(LoadConstruction(p.file), 1, 5e-7);
    const PackingInstance& inst = *FindInstance(p.instance);
    EXPECT_FALSE(ValidatePacking(inst, grown).valid) << p.instance;
    // OpenEvolve's 1e-6 slack accepts it; ours only with an explicit tol.
    if (inst.container == Container::kUnitSquare) {
      EXPECT_TRUE(ValidatePacking(inst, grown, 1e-6).valid) << p.instance;
    }
  }
}

TEST(CirclePacking, NonFiniteValuesAreRejectedWithTheCircleNamed) {
  const double bad[] = {std::numeric_limits<double>::quiet_NaN(),
                        std::numeric_limits<double>::infinity(),
                        -std::numeric_limits<double>::infinity()};
  for (const Published& p : kPublished) {
    const std::vector<Circle> c = LoadConstruction(p.file);
    for (double v : bad) {
      for (int component = 0; component < 3; ++component) {
        for (size_t i : {size_t{0}, size_t{7}, c.size() - 1}) {
          std::vector<Circle> broken = c;
          double* target = component == 0   ? &broken[i].x
                           : component == 1 ? &broken[i].y
                                            : &broken[i].r;
          *target = v;
          const ValidationResult r = ValidatePacking(*FindInstance(p.instance), broken);
          EXPECT_FALSE(r.valid);
          EXPECT_THAT(r.message, HasSubstr(fmt::format("circle {} (", i)));
          EXPECT_THAT(r.message, HasSubstr("is not finite"));
        }
      }
    }
  }
}

TEST(CirclePacking, NegativeRadiusIsRejected) {
  std::vector<Circle> c = LoadConstruction("alphaevolve_square_n26.txt");
  c[3].r = -0.1;
  const ValidationResult r = ValidatePacking(*FindInstance("square_26"), c);
  EXPECT_FALSE(r.valid);
  EXPECT_THAT(r.message, HasSubstr("circle 3 ("));
  EXPECT_THAT(r.message, HasSubstr("negative radius"));
  c[3].r = 0;  // a zero radius is allowed and contributes nothing
  EXPECT_TRUE(ValidatePacking(*FindInstance("square_26"), c).valid);
}

TEST(CirclePacking, WrongCountsAreRejected) {
  for (const Published& p : kPublished) {
    std::vector<Circle> c = LoadConstruction(p.file);
    const PackingInstance& inst = *FindInstance(p.instance);
    std::vector<Circle> fewer(c.begin(), c.end() - 1);
    EXPECT_THAT(ValidatePacking(inst, fewer).message,
                HasSubstr(fmt::format("expected exactly {} circles, got {}", inst.n, inst.n - 1)));
    c.push_back(Circle{0.5, 0.5, 0});
    EXPECT_THAT(ValidatePacking(inst, c).message, HasSubstr(fmt::format("got {}", inst.n + 1)));
  }
}

TEST(CirclePacking, OpenEvolvesNanLoopholeIsClosed) {
  // 26 NaN centres with r = 1: OpenEvolve's checker accepts it with sum 26.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<Circle> c(26, Circle{nan, nan, 1});
  const ValidationResult r = ValidatePacking(*FindInstance("square_26"), c);
  EXPECT_FALSE(r.valid);
  EXPECT_THAT(r.message, HasSubstr("circle 0 ("));
}

TEST(CirclePacking, EscapesAndOverlapsNameTheCircles) {
  const PackingInstance two{"t", Container::kUnitSquare, 2};
  EXPECT_THAT(ValidatePacking(two, std::vector<Circle>{{0.25, 0.5, 0.25}, {0.9, 0.5, 0.2}}).message,
              HasSubstr("circle 1 (x=0.9, y=0.5, r=0.2) crosses the right side"));
  EXPECT_THAT(ValidatePacking(two, std::vector<Circle>{{0.5, 0.1, 0.2}, {0.5, 0.7, 0.2}}).message,
              HasSubstr("circle 0 (x=0.5, y=0.1, r=0.2) crosses the bottom side"));
  EXPECT_THAT(ValidatePacking(two, std::vector<Circle>{{0.3, 0.5, 0.25}, {0.7, 0.5, 0.25}}).message,
              HasSubstr("circles 0 and 1 overlap"));
  // Touching is allowed: exactly representable distance 0.5 = 0.25 + 0.25.
  const ValidationResult touching =
      ValidatePacking(two, std::vector<Circle>{{0.25, 0.5, 0.25}, {0.75, 0.5, 0.25}});
  EXPECT_TRUE(touching.valid) << touching.message;
  EXPECT_DOUBLE_EQ(touching.sum_radii, 0.5);
  EXPECT_EQ(touching.min_slack, 0);
  const PackingInstance rect{"r", Container::kRectanglePerimeter4, 2};
  // Side by side: bounding box 2 x 1 + ... = 3 > 2.
  EXPECT_THAT(ValidatePacking(rect, std::vector<Circle>{{0.5, 0.5, 0.5}, {1.5, 0.5, 0.5}}).message,
              HasSubstr("width + height = 3 > 2"));
  // A 1 x 1 box anywhere in the plane.
  EXPECT_TRUE(
      ValidatePacking(rect, std::vector<Circle>{{10.25, -3.5, 0.25}, {10.75, -3.5, 0.25}}).valid);
}

TEST(CirclePacking, ParseRejectsMalformedLines) {
  EXPECT_FALSE(ParseCircles("0.1 0.2\n").ok());
  EXPECT_FALSE(ParseCircles("0.1 0.2 0.3 0.4\n").ok());
  EXPECT_THAT(ParseCircles("0.1 0.2 0.3\n0.1 zero 0.3\n").status().message(), HasSubstr("line 2"));
  StatusOr<std::vector<Circle>> c = ParseCircles("nan 0.5 inf\n");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(std::isnan((*c)[0].x));
}

}  // namespace
}  // namespace crucible::circles
