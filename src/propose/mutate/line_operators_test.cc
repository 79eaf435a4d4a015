// Tests of the line operators: DeleteLine, DuplicateLine, SwapLines.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "core/regions.h"
#include "propose/mutate/operators.h"
#include "propose/mutate/test_sources.h"

namespace crucible {
namespace {

using testing_sources::Ctx;
using testing_sources::StringsAndComments;

using LineOperator = std::optional<Edit> (*)(const EditContext&, Rng&);

// All distinct children an operator makes over many seeds.
std::set<std::string> Children(LineOperator op, std::string_view src, std::string_view path) {
  const EditContext ctx = Ctx(src, path);
  std::set<std::string> out;
  for (uint64_t seed = 0; seed < 100; ++seed) {
    Rng rng(seed);
    if (auto edit = op(ctx, rng)) out.insert(edit->source);
  }
  return out;
}

constexpr std::string_view kCpp =
    "int f(int a) {\n"
    "  int y = 0;\n"
    "  // EVOLVE-BLOCK-START\n"
    "  int x = a * 2;\n"
    "  x += 3;\n"
    "  return x + y;\n"
    "  // EVOLVE-BLOCK-END\n"
    "}\n";

TEST(DeleteLineTest, CppOnlyTheSimpleStatement) {
  // `int x` is used later, `return` is never deleted, `int y` is fixed.
  const EditContext ctx = Ctx(kCpp, "a.cc");
  Rng rng(1);
  auto edit = DeleteLine(ctx, rng);
  ASSERT_TRUE(edit);
  EXPECT_EQ(edit->source,
            "int f(int a) {\n"
            "  int y = 0;\n"
            "  // EVOLVE-BLOCK-START\n"
            "  int x = a * 2;\n"
            "  return x + y;\n"
            "  // EVOLVE-BLOCK-END\n"
            "}\n");
  EXPECT_EQ(edit->line, 5);
  EXPECT_EQ(edit->from, "x += 3;");
  EXPECT_EQ(edit->to, "");
}

TEST(DeleteLineTest, CppUnusedDeclarationMayGo) {
  EXPECT_THAT(Children(DeleteLine, "int u = 1;\nint v = 2;\nreturn v;\n", "a.cc"),
              ::testing::ElementsAre("int v = 2;\nreturn v;\n"));
}

TEST(DeleteLineTest, CppSkipsBracelessBodiesContinuationsAndBlocks) {
  EXPECT_THAT(Children(DeleteLine,
                       "if (c)\n"
                       "  x = 1;\n"  // body of a brace-less if
                       "y = f(a,\n"  // multi-line call
                       "      b);\n"
                       "z = a +\n"
                       "    b;\n"  // tail of an expression
                       "for (;;) {\n"
                       "}\n"
                       "#define Q 1;\n"
                       "do {\n} \nwhile (k);\n",  // the end of a do-while
                       "a.cc"),
              ::testing::IsEmpty());
}

TEST(DeleteLineTest, CppLineWithTrailingCommentAndString) {
  EXPECT_THAT(Children(DeleteLine, "{\n  puts(\"a;b\");  // say it\n}\n", "a.cc"),
              ::testing::ElementsAre("{\n}\n"));
}

TEST(DeleteLineTest, PythonOnlyStatementBecomesPass) {
  const std::string src =
      "def f(x):\n"
      "    # EVOLVE-BLOCK-START\n"
      "    if x > 0:\n"
      "        x = x - 1\n"
      "    # a comment\n"
      "    return x\n"
      "    # EVOLVE-BLOCK-END\n";
  const EditContext ctx = Ctx(src, "a.py");
  Rng rng(4);
  auto edit = DeleteLine(ctx, rng);
  ASSERT_TRUE(edit);
  EXPECT_EQ(edit->source,
            "def f(x):\n"
            "    # EVOLVE-BLOCK-START\n"
            "    if x > 0:\n"
            "        pass\n"
            "    # a comment\n"
            "    return x\n"
            "    # EVOLVE-BLOCK-END\n");
  EXPECT_EQ(edit->from, "x = x - 1");
  EXPECT_EQ(edit->to, "pass");
  EXPECT_EQ(edit->line, 4);
}

TEST(DeleteLineTest, PythonPlainDeletionAndSkips) {
  EXPECT_THAT(Children(DeleteLine, "for i in r:\n    a = 1\n    b = 2\nelse:\n    pass\n", "a.py"),
              ::testing::UnorderedElementsAre("for i in r:\n    b = 2\nelse:\n    pass\n",
                                              "for i in r:\n    a = 1\nelse:\n    pass\n"));
  // Block openers, clauses, decorators, multi-line strings and calls, lone pass.
  EXPECT_THAT(Children(DeleteLine,
                       "@dec\n"
                       "def g():\n"
                       "    pass\n"
                       "s = \"\"\"a\n"
                       "b\"\"\"\n"
                       "t = f(1,\n"
                       "      2)\n"
                       "u = 1 + \\\n"
                       "    2\n",
                       "a.py"),
              ::testing::IsEmpty());
}

TEST(DuplicateLineTest, CppDuplicatesInPlace) {
  const EditContext ctx = Ctx(kCpp, "a.cc");
  Rng rng(9);
  auto edit = DuplicateLine(ctx, rng);
  ASSERT_TRUE(edit);
  EXPECT_EQ(edit->source,
            "int f(int a) {\n"
            "  int y = 0;\n"
            "  // EVOLVE-BLOCK-START\n"
            "  int x = a * 2;\n"
            "  x += 3;\n"
            "  x += 3;\n"
            "  return x + y;\n"
            "  // EVOLVE-BLOCK-END\n"
            "}\n");
  EXPECT_EQ(edit->line, 5);
  EXPECT_EQ(edit->from, "x += 3;");
}

TEST(DuplicateLineTest, SkipsDeclarationsAndJumps) {
  EXPECT_THAT(Children(DuplicateLine, "int x = 1;\nbreak;\nreturn x;\nthrow e;\n", "a.cc"),
              ::testing::IsEmpty());
  EXPECT_THAT(Children(DuplicateLine, "while a:\n    pass\n    break\n    raise E\n", "a.py"),
              ::testing::IsEmpty());
}

TEST(DuplicateLineTest, LastLineWithoutNewline) {
  EXPECT_THAT(Children(DuplicateLine, "x = 1", "a.py"), ::testing::ElementsAre("x = 1\nx = 1"));
  EXPECT_THAT(Children(DuplicateLine, "x = 1\r\n", "a.py"),
              ::testing::ElementsAre("x = 1\r\nx = 1\r\n"));
}

TEST(SwapLinesTest, SwapsAdjacentSameIndentStatements) {
  EXPECT_THAT(Children(SwapLines, "    a = f(1)\n    b = g(2)\n", "a.py"),
              ::testing::ElementsAre("    b = g(2)\n    a = f(1)\n"));
  const std::string src = "{\n  a = 1;\n  b = 2;\n  c = 3;\n}\n";
  EXPECT_THAT(Children(SwapLines, src, "a.cc"),
              ::testing::UnorderedElementsAre("{\n  b = 2;\n  a = 1;\n  c = 3;\n}\n",
                                              "{\n  a = 1;\n  c = 3;\n  b = 2;\n}\n"));
}

TEST(SwapLinesTest, SkipsDifferentIndentDependentDeclarationsAndReturns) {
  EXPECT_THAT(Children(SwapLines, "if c:\n    a = 1\nb = 2\n", "a.py"), ::testing::IsEmpty());
  EXPECT_THAT(Children(SwapLines, "int x = 1;\ny = x;\nreturn y;\n", "a.cc"), ::testing::IsEmpty());
  EXPECT_THAT(Children(SwapLines, "a = 1\na = 1\n", "a.py"), ::testing::IsEmpty());
}

TEST(LineOperatorsTest, FixedRegionsAndMarkersAreNeverTouched) {
  const std::string src =
      "a = 1;\n"
      "b = 2;\n"
      "// EVOLVE-BLOCK-START\n"
      "// EVOLVE-BLOCK-END\n"
      "c = 3;\n";
  for (LineOperator op : {DeleteLine, DuplicateLine, SwapLines}) {
    EXPECT_THAT(Children(op, src, "a.cc"), ::testing::IsEmpty());
  }
}

TEST(LineOperatorsTest, RandomizedOnSamplesKeepInvariants) {
  for (auto [src, path] : {std::pair{testing_sources::kCppSource, "s.cc"},
                           std::pair{testing_sources::kPythonSource, "s.py"}}) {
    const EditContext ctx = Ctx(src, path);
    const auto strings = StringsAndComments(src, ctx.language);
    const std::set<std::string> known(strings.begin(), strings.end());
    for (LineOperator op : {DeleteLine, DuplicateLine, SwapLines}) {
      for (uint64_t seed = 0; seed < 200; ++seed) {
        Rng rng(seed);
        auto edit = op(ctx, rng);
        ASSERT_TRUE(edit) << path;
        EXPECT_NE(edit->source, src);
        EXPECT_TRUE(CheckFixedRegionsIntact(src, edit->source, path).ok());
        for (const std::string& s : StringsAndComments(edit->source, ctx.language)) {
          EXPECT_TRUE(known.count(s)) << "new string or comment: " << s;
        }
      }
    }
  }
}

}  // namespace
}  // namespace crucible
