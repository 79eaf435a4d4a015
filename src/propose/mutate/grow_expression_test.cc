// Tests of GrowExpression: which expressions grow, into what, and what is
// never touched.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "core/regions.h"
#include "propose/mutate/operators.h"
#include "propose/mutate/test_sources.h"

namespace crucible {
namespace {

using testing_sources::Ctx;

// Every distinct `to` the operator produces over many seeds.
std::set<std::string> Growths(const std::string& src, std::string_view path, int seeds = 400) {
  const EditContext ctx = Ctx(src, path);
  std::set<std::string> out;
  for (uint64_t seed = 0; seed < static_cast<uint64_t>(seeds); ++seed) {
    Rng rng(seed);
    const std::optional<Edit> edit = GrowExpression(ctx, rng);
    if (!edit) continue;
    EXPECT_TRUE(CheckFixedRegionsIntact(src, edit->source, path).ok()) << edit->source;
    out.insert(edit->to);
  }
  return out;
}

bool AnyContains(const std::set<std::string>& s, std::string_view needle) {
  for (const std::string& x : s) {
    if (x.find(needle) != std::string::npos) return true;
  }
  return false;
}

const char kBestFit[] =
    "#include <span>\n"
    "// EVOLVE-BLOCK-START\n"
    "void priority(double item, std::span<const double> bins, std::span<double> scores) {\n"
    "  for (std::size_t i = 0; i < bins.size(); ++i) {\n"
    "    const double slack = bins[i] - item;\n"
    "    scores[i] = -slack;\n"
    "  }\n"
    "}\n"
    "// EVOLVE-BLOCK-END\n";

TEST(GrowExpressionTest, GrowsRightHandSidesWithTheirOwnOperands) {
  const std::set<std::string> grown = Growths(kBestFit, "p.cpp");
  ASSERT_FALSE(grown.empty());
  for (const std::string& g : grown) {
    // Only the two floating assignments grow; the loop's integer init and
    // condition never do.
    EXPECT_TRUE(g.find("slack") != std::string::npos || g.find("bins[i]") != std::string::npos)
        << g;
    EXPECT_EQ(g.find("bins.size"), std::string::npos) << g;
  }
  // Each term shape appears, on both sites, and indexed operands are whole.
  EXPECT_TRUE(AnyContains(grown, "-slack "));
  EXPECT_TRUE(AnyContains(grown, "(-slack) * (1.0 "));
  EXPECT_TRUE(AnyContains(grown, " ? "));
  EXPECT_TRUE(AnyContains(grown, "/ (1.0 + "));
  EXPECT_TRUE(AnyContains(grown, "bins[i] - item "));
  EXPECT_TRUE(AnyContains(grown, "* bins[i]"));
  EXPECT_FALSE(AnyContains(grown, "* bins "));
  EXPECT_FALSE(AnyContains(grown, "* i "));  // i is inside bins[i], not an operand of its own
}

TEST(GrowExpressionTest, TheChildReadsTheParentWithOneExpressionChanged) {
  const EditContext ctx = Ctx(kBestFit, "p.cpp");
  for (uint64_t seed = 0; seed < 200; ++seed) {
    Rng rng(seed);
    const std::optional<Edit> edit = GrowExpression(ctx, rng);
    ASSERT_TRUE(edit.has_value());
    // Splicing `to` for `from` at the recorded line gives the child.
    const size_t at = edit->source.find(edit->to);
    ASSERT_NE(at, std::string::npos);
    std::string back = edit->source;
    back.replace(at, edit->to.size(), edit->from);
    EXPECT_EQ(back, kBestFit);
    EXPECT_TRUE(edit->line == 5 || edit->line == 6) << edit->line;
    // Constants are written as floating literals.
    EXPECT_EQ(edit->to.find(" 1 "), std::string::npos) << edit->to;
  }
}

TEST(GrowExpressionTest, LeavesFixedRegionsStringsAndNonNumericExpressionsAlone) {
  const std::string src =
      "double fixed = a * b;\n"
      "// EVOLVE-BLOCK-START\n"
      "std::string s = \"x\" + name;\n"
      "std::vector<double> v = {1.0, 2.0};\n"
      "int n = count * 2;\n"
      "auto w = make_widget();\n"
      "// EVOLVE-BLOCK-END\n"
      "double also_fixed = c + d;\n";
  EXPECT_TRUE(Growths(src, "p.cpp").empty());
}

TEST(GrowExpressionTest, ReturnsAndCompoundAssignmentsGrow) {
  const std::string src =
      "// EVOLVE-BLOCK-START\n"
      "double f(double x) {\n"
      "  double acc = 0.5;\n"
      "  acc += x;\n"
      "  return acc * x;\n"
      "}\n"
      "// EVOLVE-BLOCK-END\n";
  const std::set<std::string> grown = Growths(src, "p.cpp");
  EXPECT_TRUE(AnyContains(grown, "acc * x "));
  // `acc += x` may grow with acc as an operand.
  bool uses_acc = false;
  for (const std::string& g : grown) {
    if (g.starts_with("x ") && g.find("acc") != std::string::npos) uses_acc = true;
  }
  EXPECT_TRUE(uses_acc);
  // `double acc = 0.5` has no operand to build a term from.
  for (const std::string& g : grown) EXPECT_FALSE(g.starts_with("0.5")) << g;
}

TEST(GrowExpressionTest, PythonTermsArePython) {
  const std::string src =
      "import math\n"
      "# EVOLVE-BLOCK-START\n"
      "def f(x, coeffs):\n"
      "    y = coeffs[0] * x + math.sin(x)\n"
      "    names = [a for a in coeffs]\n"
      "    return y\n"
      "# EVOLVE-BLOCK-END\n";
  const std::set<std::string> grown = Growths(src, "p.py");
  ASSERT_FALSE(grown.empty());
  for (const std::string& g : grown) {
    EXPECT_EQ(g.find(" ? "), std::string::npos) << g;
    EXPECT_EQ(g.find("for a in"), std::string::npos) << g;  // the comprehension never grows
    EXPECT_EQ(g.find("* math "), std::string::npos) << g;   // a module is not an operand
  }
  EXPECT_TRUE(AnyContains(grown, " if "));
  EXPECT_TRUE(AnyContains(grown, "min("));
  EXPECT_TRUE(AnyContains(grown, "(coeffs[0] * x + math.sin(x)) * (1.0 "));
}

TEST(GrowExpressionTest, DataMembersAreOperandsButCallsAreNot) {
  const std::string src =
      "// EVOLVE-BLOCK-START\n"
      "double f(const Edge& e, const Item* it, const std::vector<Bin>& bins, double d) {\n"
      "  const double vu = d + e.cost;\n"
      "  const double w = it->size * bins[0].room + e.weight();\n"
      "  return vu + w;\n"
      "}\n"
      "// EVOLVE-BLOCK-END\n";
  const std::set<std::string> grown = Growths(src, "p.cpp", 1200);
  ASSERT_FALSE(grown.empty());
  EXPECT_TRUE(AnyContains(grown, "* e.cost"));
  EXPECT_TRUE(AnyContains(grown, "(e.cost < "));        // the clamp or the step reads the member
  EXPECT_TRUE(AnyContains(grown, "* it->size"));
  EXPECT_TRUE(AnyContains(grown, "* bins[0].room"));
  for (const std::string& g : grown) {
    EXPECT_EQ(g.find("* e.weight "), std::string::npos) << g;  // a call is not an operand
    EXPECT_EQ(g.find("* e "), std::string::npos) << g;         // nor the object alone
    EXPECT_EQ(g.find("* cost"), std::string::npos) << g;       // nor the field alone
    EXPECT_EQ(g.find("* bins[0] "), std::string::npos) << g;
  }
}

TEST(GrowExpressionTest, ClampNeverRewritesAFieldOfTheSameName) {
  // `x` is an operand; `p.x` is a different value and must stay as written.
  const std::string src =
      "// EVOLVE-BLOCK-START\n"
      "double f(const P& p, double x) {\n"
      "  return p.x * 2.0 + x;\n"
      "}\n"
      "// EVOLVE-BLOCK-END\n";
  for (const std::string& g : Growths(src, "p.cpp", 600)) {
    if (g.find(" ? x : ") == std::string::npos) continue;  // only the clamps of x
    EXPECT_TRUE(g.starts_with("p.x * 2.0 + (x < ")) << g;
  }
}

TEST(GrowExpressionTest, NoSiteNoEdit) {
  const std::string src = "// EVOLVE-BLOCK-START\nvoid f() {}\n// EVOLVE-BLOCK-END\n";
  Rng rng(1);
  EXPECT_FALSE(GrowExpression(Ctx(src, "p.cpp"), rng).has_value());
}

}  // namespace
}  // namespace crucible
