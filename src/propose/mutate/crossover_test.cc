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

std::string TwoRegions(std::string_view fixed_head, std::string_view first,
                       std::string_view second) {
  return std::string(fixed_head) + "// EVOLVE-BLOCK-START\n" + std::string(first) +
         "// EVOLVE-BLOCK-END\n"
         "int middle = 0;\n"
         "// EVOLVE-BLOCK-START\n" +
         std::string(second) +
         "// EVOLVE-BLOCK-END\n"
         "int tail = 1;\n";
}

TEST(CrossoverTest, ReplacesOnlyADifferingRegionAndKeepsParentFixedRegions) {
  const std::string parent = TwoRegions("int head = 2;\n", "a = 1;\nb = 2;\n", "c = 3;\n");
  // The inspiration differs in its first region only (and, oddly, in a fixed
  // region, which must not leak into the child).
  const std::string inspiration =
      TwoRegions("int head = 99;\n", "x = 7;\ny = 8;\nz = 9;\n", "c = 3;\n");
  const EditContext ctx = Ctx(parent, "a.cc");
  std::set<std::string> modes;
  for (uint64_t seed = 0; seed < 200; ++seed) {
    Rng rng(seed);
    auto edit = CrossoverRegion(ctx, inspiration, rng);
    ASSERT_TRUE(edit);
    EXPECT_EQ(edit->region, 0);
    EXPECT_TRUE(CheckFixedRegionsIntact(parent, edit->source, "a.cc").ok());
    const std::vector<std::string> texts = EvolvableTexts(edit->source, "a.cc");
    ASSERT_EQ(texts.size(), 2u);
    EXPECT_EQ(texts[1], "c = 3;\n");
    if (edit->mode == "region") {
      EXPECT_EQ(texts[0], "x = 7;\ny = 8;\nz = 9;\n");
    } else {
      ASSERT_EQ(edit->mode, "one_point");
      // A line prefix of the parent's region followed by a line suffix of the
      // inspiration's: here "a = 1;\n" then "y = 8;\nz = 9;\n" or "z = 9;\n".
      EXPECT_THAT(texts[0], ::testing::AnyOf("a = 1;\ny = 8;\nz = 9;\n", "a = 1;\nz = 9;\n"));
      EXPECT_EQ(edit->line, 4);
      EXPECT_THAT(edit->inspiration_line, ::testing::AnyOf(4, 5));
    }
    modes.insert(edit->mode);
  }
  EXPECT_THAT(modes, ::testing::UnorderedElementsAre("region", "one_point"));
}

TEST(CrossoverTest, NotApplicableWhenRegionsMatchOrDoNotCorrespond) {
  const std::string parent = TwoRegions("", "a = 1;\n", "b = 2;\n");
  const EditContext ctx = Ctx(parent, "a.cc");
  Rng rng(1);
  EXPECT_FALSE(CrossoverRegion(ctx, parent, rng));
  EXPECT_FALSE(CrossoverRegion(ctx, "// EVOLVE-BLOCK-START\nq = 1;\n// EVOLVE-BLOCK-END\n", rng));
  EXPECT_FALSE(CrossoverRegion(ctx, "// EVOLVE-BLOCK-START\nunclosed\n", rng));
}

TEST(CrossoverTest, OnePointCutsMatchBlockStructure) {
  // Cuts only where the brace depth (relative to the region) agrees, and
  // never inside the multi-line comment.
  const std::string parent =
      "// EVOLVE-BLOCK-START\n"
      "p1();\n"
      "if (a) {\n"
      "  p2();\n"
      "}\n"
      "p3();\n"
      "// EVOLVE-BLOCK-END\n";
  const std::string inspiration =
      "// EVOLVE-BLOCK-START\n"
      "i1();\n"
      "/* multi\n"
      "   line */ i2();\n"
      "while (b) {\n"
      "  i3();\n"
      "}\n"
      "// EVOLVE-BLOCK-END\n";
  const EditContext ctx = Ctx(parent, "a.cc");
  std::set<std::string> regions;
  for (uint64_t seed = 0; seed < 300; ++seed) {
    Rng rng(seed);
    auto edit = CrossoverRegion(ctx, inspiration, rng);
    ASSERT_TRUE(edit);
    if (edit->mode == "one_point") regions.insert(EvolvableTexts(edit->source, "a.cc")[0]);
  }
  for (const std::string& r : regions) {
    int depth = 0;
    for (char c : r) depth += c == '{' ? 1 : c == '}' ? -1 : 0;
    EXPECT_EQ(depth, 0) << r;
    EXPECT_EQ(r.find("line */") != std::string::npos, r.find("/* multi") != std::string::npos) << r;
  }
  EXPECT_FALSE(regions.empty());
}

TEST(CrossoverTest, PythonUsesIndentation) {
  const std::string parent =
      "# EVOLVE-BLOCK-START\n"
      "a = 1\n"
      "if a:\n"
      "    b = 2\n"
      "c = 3\n"
      "# EVOLVE-BLOCK-END\n";
  const std::string inspiration =
      "# EVOLVE-BLOCK-START\n"
      "x = 1\n"
      "y = 2\n"
      "for i in r:\n"
      "    z = i\n"
      "# EVOLVE-BLOCK-END\n";
  const EditContext ctx = Ctx(parent, "a.py");
  for (uint64_t seed = 0; seed < 200; ++seed) {
    Rng rng(seed);
    auto edit = CrossoverRegion(ctx, inspiration, rng);
    ASSERT_TRUE(edit);
    if (edit->mode != "one_point") continue;
    const std::string region = EvolvableTexts(edit->source, "a.py")[0];
    // The parent's "if a:" is never followed by an unindented inspiration line.
    EXPECT_EQ(region.find("if a:\nx"), std::string::npos) << region;
    EXPECT_EQ(region.find("if a:\ny"), std::string::npos) << region;
    EXPECT_EQ(region.find("if a:\nfor"), std::string::npos) << region;
  }
}

}  // namespace
}  // namespace crucible
