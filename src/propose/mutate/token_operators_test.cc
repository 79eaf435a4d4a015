// Tests of the token-level operators: PerturbConstant and ReplaceOperator.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "core/regions.h"
#include "propose/mutate/number_literal.h"
#include "propose/mutate/operators.h"
#include "propose/mutate/test_sources.h"

namespace crucible {
namespace {

using testing_sources::Ctx;
using testing_sources::StringsAndComments;

// The single significant token that differs between parent and child (same
// token count), or "" if the edit is not a one-token replacement.
struct TokenChange {
  std::string from;
  std::string to;
};
std::optional<TokenChange> OneTokenChanged(std::string_view parent, std::string_view child,
                                           Language lang) {
  auto sig = [lang](std::string_view s) {
    std::vector<std::string> out;
    for (const Token& t : Tokenize(s, lang)) {
      if (t.kind != TokenKind::kWhitespace && t.kind != TokenKind::kNewline) {
        out.emplace_back(t.Text(s));
      }
    }
    return out;
  };
  const auto a = sig(parent);
  const auto b = sig(child);
  if (a.size() != b.size()) return std::nullopt;
  std::optional<TokenChange> change;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] == b[i]) continue;
    if (change) return std::nullopt;
    change = TokenChange{a[i], b[i]};
  }
  return change;
}

// ---------------------------------------------------------------- PerturbConstant

TEST(PerturbConstantTest, IntegerStaysIntegerWithSuffix) {
  const std::string src = "int f() {\n  return g(10u);\n}\n";
  const EditContext ctx = Ctx(src, "a.cc");
  std::set<std::string> seen;
  for (uint64_t seed = 0; seed < 300; ++seed) {
    Rng rng(seed);
    auto edit = PerturbConstant(ctx, rng);
    ASSERT_TRUE(edit);
    EXPECT_EQ(edit->from, "10u");
    EXPECT_EQ(edit->line, 2);
    EXPECT_EQ(edit->source, "int f() {\n  return g(" + edit->to + ");\n}\n");
    if (edit->to == "-10u") continue;  // a sign flip
    auto lit = ParseNumberLiteral(edit->to, Language::kCFamily);
    ASSERT_TRUE(lit) << edit->to;
    EXPECT_FALSE(lit->is_float) << edit->to;
    EXPECT_EQ(lit->suffix, "u");
    EXPECT_NE(*IntegerValue(*lit), 10u);
    seen.insert(edit->to);
  }
  // ±1, ×2 and /2 all occur.
  EXPECT_THAT(seen, ::testing::IsSupersetOf({"9u", "11u", "20u", "5u"}));
}

TEST(PerturbConstantTest, LoopStartIsNotATunableButTheBoundIs) {
  const std::string src =
      "void f() {\n  for (std::size_t i = 0; i < 500; ++i) g(i);\n  int j = 0;\n}\n";
  const EditContext ctx = Ctx(src, "a.cc");
  std::set<std::string> from;
  for (uint64_t seed = 0; seed < 300; ++seed) {
    Rng rng(seed);
    if (auto edit = PerturbConstant(ctx, rng))
      from.insert(edit->from + "@" + std::to_string(edit->line));
  }
  // The loop's start (line 2) never moves; its bound and the plain
  // initialiser on line 3 do.
  EXPECT_FALSE(from.contains("0@2"));
  EXPECT_TRUE(from.contains("500@2"));
  EXPECT_TRUE(from.contains("0@3"));
}

TEST(PerturbConstantTest, HexStaysHexBinaryStaysBinary) {
  for (std::string_view literal : {"0xFF", "0b1010"}) {
    const std::string src = "x = " + std::string(literal) + ";\n";
    const EditContext ctx = Ctx(src, "a.c");
    for (uint64_t seed = 0; seed < 100; ++seed) {
      Rng rng(seed);
      auto edit = PerturbConstant(ctx, rng);
      ASSERT_TRUE(edit);
      const std::string to = edit->to[0] == '-' ? edit->to.substr(1) : edit->to;
      EXPECT_EQ(to.substr(0, 2), literal.substr(0, 2)) << to;
      auto lit = ParseNumberLiteral(to, Language::kCFamily);
      ASSERT_TRUE(lit) << to;
      EXPECT_FALSE(lit->is_float);
    }
  }
}

TEST(PerturbConstantTest, FloatKeepsSuffixAndRoundTrips) {
  const std::string src = "float a = b * 0.5f;\n";
  const EditContext ctx = Ctx(src, "a.cc");
  for (uint64_t seed = 0; seed < 300; ++seed) {
    Rng rng(seed);
    auto edit = PerturbConstant(ctx, rng, 0.1);
    ASSERT_TRUE(edit);
    std::string to = edit->to;
    ASSERT_FALSE(to.empty());
    if (to[0] == '-') to.erase(0, 1);
    auto lit = ParseNumberLiteral(to, Language::kCFamily);
    ASSERT_TRUE(lit) << to;
    EXPECT_TRUE(lit->is_float) << to;
    EXPECT_EQ(lit->suffix, "f") << to;
    const double v = *FloatValue(*lit);
    EXPECT_GT(v, 0.0);
    EXPECT_LT(v, 2.0) << to;  // sigma 0.1: a factor of 4 is > 13 sigma away
    EXPECT_NE(edit->to, edit->from);
  }
}

TEST(PerturbConstantTest, FloatStepChangesLastDecimalPlace) {
  const std::string src = "x = 0.25\n";
  const EditContext ctx = Ctx(src, "a.py");
  std::set<std::string> seen;
  for (uint64_t seed = 0; seed < 200; ++seed) {
    Rng rng(seed);
    auto edit = PerturbConstant(ctx, rng);
    ASSERT_TRUE(edit);
    seen.insert(edit->to);
  }
  EXPECT_TRUE(seen.count("0.24") && seen.count("0.26"));
}

TEST(PerturbConstantTest, PythonLiterals) {
  for (std::string_view literal : {"1_000", "3j", "2.5", "1e-3", "0o17", "0x1F"}) {
    const std::string src = "y = f(" + std::string(literal) + ")\n";
    const EditContext ctx = Ctx(src, "a.py");
    for (uint64_t seed = 0; seed < 50; ++seed) {
      Rng rng(seed);
      auto edit = PerturbConstant(ctx, rng);
      ASSERT_TRUE(edit) << literal;
      const std::string to = edit->to[0] == '-' ? edit->to.substr(1) : edit->to;
      auto lit = ParseNumberLiteral(to, Language::kPython);
      ASSERT_TRUE(lit) << literal << " -> " << to;
      EXPECT_EQ(lit->is_float, ParseNumberLiteral(literal, Language::kPython)->is_float) << to;
    }
  }
}

TEST(PerturbConstantTest, SignFlipAddsOrRemovesUnaryMinusSafely) {
  const std::string src = "a = -3;\nb = x - 4;\n";
  const EditContext ctx = Ctx(src, "a.cc");
  bool removed = false;
  bool added = false;
  for (uint64_t seed = 0; seed < 2000; ++seed) {
    Rng rng(seed);
    auto edit = PerturbConstant(ctx, rng);
    ASSERT_TRUE(edit);
    EXPECT_EQ(edit->source.find("--"), std::string::npos) << edit->source;
    EXPECT_EQ(edit->source.find("- -"), std::string::npos) << edit->source;
    if (edit->source == "a = 3;\nb = x - 4;\n") removed = true;
    if (edit->from == "4" && edit->to[0] == '-') added = true;  // binary minus: never
  }
  EXPECT_TRUE(removed);
  EXPECT_FALSE(added);
}

TEST(PerturbConstantTest, NeverTouchesStringsCommentsPreprocessorOrFixedRegions) {
  const std::string src =
      "#define N 10\n"
      "int a = 1;  // 2 + 3\n"
      "// EVOLVE-BLOCK-START\n"
      "const char* s = \"4 * 5\";  /* 6 */\n"
      "#if 7\n"
      "#endif\n"
      "// EVOLVE-BLOCK-END\n"
      "int b = 8;\n";
  const EditContext ctx = Ctx(src, "a.cc");
  Rng rng(1);
  EXPECT_FALSE(PerturbConstant(ctx, rng));
}

TEST(PerturbConstantTest, OnlyEvolvableNumbersChange) {
  const EditContext ctx = Ctx(testing_sources::kCppSource, "s.cc");
  const auto strings = StringsAndComments(ctx.source, Language::kCFamily);
  for (uint64_t seed = 0; seed < 300; ++seed) {
    Rng rng(seed);
    auto edit = PerturbConstant(ctx, rng);
    ASSERT_TRUE(edit);
    EXPECT_TRUE(CheckFixedRegionsIntact(ctx.source, edit->source, "s.cc").ok());
    EXPECT_EQ(StringsAndComments(edit->source, Language::kCFamily), strings);
    if (edit->from[0] != '-' && edit->to[0] != '-') {
      auto change = OneTokenChanged(ctx.source, edit->source, Language::kCFamily);
      ASSERT_TRUE(change);
      EXPECT_EQ(change->from, edit->from);
      EXPECT_EQ(change->to, edit->to);
    }
  }
}

// ---------------------------------------------------------------- ReplaceOperator

std::set<std::string> ReplacementsOf(std::string_view src, std::string_view path,
                                     std::string_view expected_from) {
  const EditContext ctx = Ctx(src, path);
  std::set<std::string> to;
  for (uint64_t seed = 0; seed < 200; ++seed) {
    Rng rng(seed);
    auto edit = ReplaceOperator(ctx, rng);
    if (!edit) {
      ADD_FAILURE() << "no replacement in: " << src;
      return to;
    }
    EXPECT_EQ(edit->from, expected_from);
    auto change = OneTokenChanged(src, edit->source, ctx.language);
    EXPECT_TRUE(change) << edit->source;
    to.insert(edit->to);
  }
  return to;
}

bool HasNoSite(std::string_view src, std::string_view path) {
  const EditContext ctx = Ctx(src, path);
  Rng rng(3);
  auto edit = ReplaceOperator(ctx, rng);
  if (edit) ADD_FAILURE() << "replaced '" << edit->from << "' by '" << edit->to << "' in " << src;
  return !edit;
}

TEST(ReplaceOperatorTest, ClassesArePreserved) {
  using ::testing::UnorderedElementsAre;
  EXPECT_THAT(ReplacementsOf("x = a + b;\n", "a.cc", "+"), UnorderedElementsAre("-", "*", "/"));
  EXPECT_THAT(ReplacementsOf("x = a % b;\n", "a.cc", "%"),
              UnorderedElementsAre("+", "-", "*", "/"));
  EXPECT_THAT(ReplacementsOf("x = a + b\n", "a.py", "+"),
              UnorderedElementsAre("-", "*", "/", "//", "%", "**"));
  EXPECT_THAT(ReplacementsOf("if (i < n) f();\n", "a.cc", "<"),
              UnorderedElementsAre("<=", ">", ">=", "==", "!="));
  EXPECT_THAT(ReplacementsOf("ok = a && b;\n", "a.cc", "&&"), UnorderedElementsAre("||"));
  EXPECT_THAT(ReplacementsOf("x += 1;\n", "a.cc", "+="), UnorderedElementsAre("-=", "*=", "/="));
  EXPECT_THAT(ReplacementsOf("x = a ** 2\n", "a.py", "**"),
              UnorderedElementsAre("+", "-", "*", "/", "//", "%"));
  EXPECT_THAT(ReplacementsOf("x = a // 2\n", "a.py", "//"),
              UnorderedElementsAre("+", "-", "*", "/", "%", "**"));
  EXPECT_THAT(ReplacementsOf("ok = a and not b\n", "a.py", "and"), UnorderedElementsAre("or"));
  EXPECT_THAT(ReplacementsOf("while x != y:\n    pass\n", "a.py", "!="),
              UnorderedElementsAre("<", "<=", ">", ">=", "=="));
}

TEST(ReplaceOperatorTest, SkipsUnaryAndNonBinaryForms) {
  EXPECT_TRUE(HasNoSite("x = -y;\nf(-1, +2);\nreturn -x;\n", "a.cc"));
  EXPECT_TRUE(HasNoSite("i++;\n--j;\np->q = *r;\nb = !c;\n", "a.cc"));
  EXPECT_TRUE(HasNoSite("x = -y\nf(*args, **kwargs)\ndef g(a, *, b=-1): pass\n", "a.py"));
  EXPECT_TRUE(HasNoSite("z = a[-1]\nw = b[1:-1]\nreturn -x\n", "a.py"));
}

TEST(ReplaceOperatorTest, SkipsTemplatesAndPointerDeclarations) {
  EXPECT_TRUE(HasNoSite("std::vector<int> v;\nauto y = static_cast<int>(x);\n", "a.cc"));
  EXPECT_TRUE(
      HasNoSite("std::map<Key, Value> m;\nFoo<Bar>(x);\ntemplate <typename T> T f();\n", "a.cc"));
  EXPECT_TRUE(HasNoSite("int * p = q;\nFoo * r = s;\nconst Node * n = m;\n", "a.cc"));
  EXPECT_TRUE(HasNoSite("void f(Foo&& x);\nvoid g(Bar * y);\nns::T * t = u;\n", "a.cc"));
  EXPECT_TRUE(HasNoSite("#include <vector>\n#define SQ(x) ((x) * (x))\n", "a.cc"));
  // Unspaced comparisons are left alone: they may be template brackets.
  EXPECT_TRUE(HasNoSite("bool b = a<c;\n", "a.cc"));
}

TEST(ReplaceOperatorTest, BinaryStarAfterExpressionIsReplaced) {
  EXPECT_FALSE(ReplacementsOf("x = a * b;\n", "a.cc", "*").empty());
  EXPECT_FALSE(ReplacementsOf("return a * b;\n", "a.cc", "*").empty());
  EXPECT_FALSE(ReplacementsOf("if (a * b) f();\n", "a.cc", "*").empty());
  EXPECT_FALSE(ReplacementsOf("if (ready && done) f();\n", "a.cc", "&&").empty());
}

TEST(ReplaceOperatorTest, NeverTouchesStringsCommentsOrFixedRegions) {
  EXPECT_TRUE(HasNoSite(
      "x = a + b;  // fixed\n// EVOLVE-BLOCK-START\ns = \"a + b\";  // c - d\n/* e * f */\n"
      "// EVOLVE-BLOCK-END\ny = c - d;\n",
      "a.cc"));
  EXPECT_TRUE(HasNoSite("s = 'a + b'  # c - d\nt = \"\"\"e * f\n g < h\"\"\"\n", "a.py"));
}

TEST(ReplaceOperatorTest, OnlyEvolvableOperatorsChange) {
  for (auto [src, path] : {std::pair{testing_sources::kCppSource, "s.cc"},
                           std::pair{testing_sources::kPythonSource, "s.py"}}) {
    const EditContext ctx = Ctx(src, path);
    const auto strings = StringsAndComments(src, ctx.language);
    for (uint64_t seed = 0; seed < 300; ++seed) {
      Rng rng(seed);
      auto edit = ReplaceOperator(ctx, rng);
      ASSERT_TRUE(edit);
      EXPECT_TRUE(CheckFixedRegionsIntact(src, edit->source, path).ok());
      EXPECT_EQ(StringsAndComments(edit->source, ctx.language), strings);
      auto change = OneTokenChanged(src, edit->source, ctx.language);
      ASSERT_TRUE(change);
      EXPECT_EQ(change->from, edit->from);
      EXPECT_EQ(change->to, edit->to);
    }
  }
}

TEST(TokenOperatorsTest, SameSeedSameEdit) {
  const EditContext ctx = Ctx(testing_sources::kPythonSource, "s.py");
  for (uint64_t seed = 0; seed < 20; ++seed) {
    Rng a(seed);
    Rng b(seed);
    EXPECT_EQ(PerturbConstant(ctx, a)->source, PerturbConstant(ctx, b)->source);
    EXPECT_EQ(ReplaceOperator(ctx, a)->source, ReplaceOperator(ctx, b)->source);
  }
}

}  // namespace
}  // namespace crucible
