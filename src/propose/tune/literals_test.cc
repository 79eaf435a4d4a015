#include "propose/tune/literals.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace crucible {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kSource[] = R"cpp(#include <cmath>
// fixed: 0.25 and 7 stay
const double kFixed = 0.25;
// EVOLVE-BLOCK-START
double priority(double item, double room) {
  const char* note = "3.5 in a string";  // 9.5 in a comment
  double score = -room * 0.7 + 12 * item;
  for (int i = 0; i < 8; ++i) score += 1e-3f * i;
  return score > 2.50 ? score : 0.0 + 1;
}
// EVOLVE-BLOCK-END
)cpp";

std::vector<std::string> Texts(const std::vector<TunableLiteral>& literals) {
  std::vector<std::string> out;
  for (const TunableLiteral& t : literals) out.push_back(t.text);
  return out;
}

TEST(LiteralsTest, FindsValueLiteralsOfEvolvableRegionsOnly) {
  ParsedProgram p(Program{{{"h.cc", kSource}}});
  const std::vector<TunableLiteral> found = FindTunableLiterals(p, LiteralOptions{});
  // Not: the fixed region's 0.25, the string's and comment's numbers, the
  // loop start 0, zeros and ones.
  EXPECT_THAT(Texts(found), ElementsAre("0.7", "12", "8", "1e-3f", "2.50"));
  EXPECT_EQ(found[0].line, 7);
  EXPECT_FALSE(found[0].is_integer);
  EXPECT_TRUE(found[1].is_integer);
  EXPECT_DOUBLE_EQ(found[3].value, 1e-3);
}

TEST(LiteralsTest, IntegersCanBeLeftOut) {
  ParsedProgram p(Program{{{"h.cc", kSource}}});
  LiteralOptions o;
  o.integers = false;
  EXPECT_THAT(Texts(FindTunableLiterals(p, o)), ElementsAre("0.7", "1e-3f", "2.50"));
  o.max_literals = 2;
  EXPECT_THAT(Texts(FindTunableLiterals(p, o)), ElementsAre("0.7", "1e-3f"));
}

TEST(LiteralsTest, OriginRewritesNothing) {
  const Program program{{{"h.cc", kSource}}};
  ParsedProgram p(program);
  const auto found = FindTunableLiterals(p, LiteralOptions{});
  EXPECT_EQ(RewriteLiterals(program, found, std::vector<double>(found.size(), 0.0), 4.0), program);
}

TEST(LiteralsTest, RewriteKeepsEachLiteralsForm) {
  const Program program{{{"h.cc", kSource}}};
  ParsedProgram p(program);
  const auto found = FindTunableLiterals(p, LiteralOptions{});
  // 0.7 * 4, 12 / 4, 8 * 2, 1e-3f * 4^0.5, 2.50 unchanged.
  const Program out = RewriteLiterals(program, found, {1.0, -1.0, 0.5, 0.5, 0.0}, 4.0);
  const std::string& s = out.files[0].content;
  EXPECT_THAT(s, HasSubstr("-room * 2.8 + 3 * item"));
  EXPECT_THAT(s, HasSubstr("i < 16;"));
  EXPECT_THAT(s, HasSubstr("score += 2e-3f * i"));
  EXPECT_THAT(s, HasSubstr("score > 2.50 ?"));
  EXPECT_THAT(s, HasSubstr("const double kFixed = 0.25;"));
  EXPECT_THAT(s, HasSubstr("\"3.5 in a string\";  // 9.5 in a comment"));
  // Coordinates are clamped to [-1, 1]; integers never go below 1.
  EXPECT_EQ(LiteralText(found[0], 5.0, 4.0), "2.8");
  TunableLiteral two = found[1];
  two.value = 2;
  two.text = "2";
  EXPECT_EQ(LiteralText(two, -1.0, 4.0), "1");
}

TEST(LiteralsTest, SeveralFilesAndPython) {
  const Program program{{{"a.py", "# EVOLVE-BLOCK-START\nw = 0.5 * x + 3\n# EVOLVE-BLOCK-END\n"},
                         {"b.py", "# EVOLVE-BLOCK-START\nv = 1.25\n# EVOLVE-BLOCK-END\n"}}};
  ParsedProgram p(program);
  const auto found = FindTunableLiterals(p, LiteralOptions{});
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(found[2].file, 1u);
  const Program out = RewriteLiterals(program, found, {1.0, 0.0, -1.0}, 2.0);
  EXPECT_EQ(out.files[0].content, "# EVOLVE-BLOCK-START\nw = 1.0 * x + 3\n# EVOLVE-BLOCK-END\n");
  EXPECT_EQ(out.files[1].content, "# EVOLVE-BLOCK-START\nv = 0.625\n# EVOLVE-BLOCK-END\n");
}

// bin_packing's clamped best fit as evolved (problems/bin_packing/examples/
// clamped_best_fit.cpp): three of its four score lines are overwritten
// unread; only the last line's constants (and the slack's) decide.
constexpr char kOverwritten[] = R"cpp(// EVOLVE-BLOCK-START
void priority(double item, std::span<const double> bins, std::span<double> scores) {
  for (std::size_t i = 0; i <= bins.size(); ++i) {
    const double slack = (bins[i] - item - (bins[i] < 37.05 ? -1.866 : 0.1878)) + 0.105 / (1.0 + item * item);
    scores[i] = -(slack < 8.05 ? slack : 7.88);
    scores[i] = -(slack == 11.2 ? slack : 7.776);
    scores[i] = -(slack < 11.2 ? slack : 7.776);
    scores[i] = -(slack < 11.3 ? slack : 7.777);
  }
}
// EVOLVE-BLOCK-END
)cpp";

TEST(LiteralsTest, LiteralsOfOverwrittenStoresAreNotTunable) {
  ParsedProgram p(Program{{{"h.cc", kOverwritten}}});
  const auto found = FindTunableLiterals(p, LiteralOptions{});
  EXPECT_THAT(Texts(found), ElementsAre("37.05", "1.866", "0.1878", "0.105", "1.0", "11.3", "7.777"));
  EXPECT_EQ(found[5].line, 8);
}

TEST(LiteralsTest, StoresThatMayMatterKeepTheirLiterals) {
  // Each first store's 2.5 may be read or may not be overwritten: the second
  // reads the target, a call or ++ may have an effect or pick another
  // element, a condition may skip the store, a statement comes between, or
  // the targets differ.
  const char* cases[] = {
      "x = 2.5;\n  x = x * 3.5;\n",
      "x = 2.5;\n  x = f(3.5);\n",
      "x = g(2.5);\n  x = 3.5;\n",
      "a[k++] = 2.5;\n  a[k++] = 3.5;\n",
      "a[f()] = 2.5;\n  a[f()] = 3.5;\n",
      "if (c) x = 2.5;\n  x = 3.5;\n",
      "x = 2.5;\n  use(x);\n  x = 3.5;\n",
      "a[i] = 2.5;\n  a[j] = 3.5;\n",
      "x = 2.5, y = 4.5;\n  x = 3.5;\n",
  };
  for (const char* body : cases) {
    const std::string source =
        std::string("// EVOLVE-BLOCK-START\nvoid f() {\n  ") + body + "}\n// EVOLVE-BLOCK-END\n";
    ParsedProgram p(Program{{{"h.cc", source}}});
    EXPECT_THAT(Texts(FindTunableLiterals(p, LiteralOptions{})), testing::Contains("2.5")) << body;
  }
  // The same in Python is left alone (statements end at line breaks there).
  ParsedProgram py(Program{{{"a.py", "# EVOLVE-BLOCK-START\nx = 2.5\nx = 3.5\n# EVOLVE-BLOCK-END\n"}}});
  EXPECT_THAT(Texts(FindTunableLiterals(py, LiteralOptions{})), ElementsAre("2.5", "3.5"));
}

TEST(LiteralsTest, OptionsErrorsNameTheField) {
  LiteralOptions o;
  o.range = 1;
  EXPECT_THAT(o.Validate().message(), HasSubstr("range"));
  o = LiteralOptions{};
  o.max_literals = 0;
  EXPECT_THAT(o.Validate().message(), HasSubstr("max_literals"));
}

}  // namespace
}  // namespace crucible
