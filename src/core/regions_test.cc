#include "core/regions.h"

#include <gtest/gtest.h>

namespace crucible {
namespace {

constexpr char kCpp[] =
    "#include <cmath>\n"
    "// EVOLVE-BLOCK-START\n"
    "double f(double x) { return 2 * x; }\n"
    "// EVOLVE-BLOCK-END\n"
    "int main() {}\n";

TEST(RegionsTest, SplitsIntoFixedAndEvolvable) {
  auto r = ParseRegions(kCpp, "a.cc");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_FALSE((*r)[0].evolvable);
  EXPECT_TRUE((*r)[1].evolvable);
  EXPECT_FALSE((*r)[2].evolvable);
  const std::string_view src = kCpp;
  EXPECT_EQ(src.substr((*r)[1].begin, (*r)[1].size()), "double f(double x) { return 2 * x; }\n");
  EXPECT_EQ((*r)[0].begin, 0u);
  EXPECT_EQ((*r)[2].end, src.size());
  EXPECT_EQ(EvolvableTexts(kCpp, "a.cc").size(), 1u);
}

TEST(RegionsTest, NoMarkersMeansWholeFileEvolvable) {
  auto r = ParseRegions("x = 1\n", "a.py");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_TRUE((*r)[0].evolvable);
}

TEST(RegionsTest, PythonMarkersAndSeveralBlocks) {
  const std::string src =
      "import math\n# EVOLVE-BLOCK-START\na = 1\n# EVOLVE-BLOCK-END\nb = 2\n"
      "    # EVOLVE-BLOCK-START\nc = 3\n    # EVOLVE-BLOCK-END\n";
  auto r = ParseRegions(src, "p.py");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(EvolvableRegions(*r).size(), 2u);
}

TEST(RegionsTest, ErrorsNameFileAndLine) {
  auto unclosed = ParseRegions("a\n// EVOLVE-BLOCK-START\nb\n", "x.cc");
  ASSERT_FALSE(unclosed.ok());
  EXPECT_EQ(unclosed.status().message(),
            "x.cc:2: EVOLVE-BLOCK-START is never closed by EVOLVE-BLOCK-END");
  auto stray = ParseRegions("# EVOLVE-BLOCK-END\n", "y.py");
  EXPECT_EQ(stray.status().message(), "y.py:1: EVOLVE-BLOCK-END without EVOLVE-BLOCK-START");
  auto nested = ParseRegions("// EVOLVE-BLOCK-START\n// EVOLVE-BLOCK-START\n", "z.cc");
  EXPECT_EQ(nested.status().message(),
            "z.cc:2: EVOLVE-BLOCK-START inside the block opened at line 1");
  auto code = ParseRegions("int x; // EVOLVE-BLOCK-START\n", "w.cc");
  EXPECT_EQ(code.status().code(), StatusCode::kInvalidArgument);
}

TEST(RegionsTest, FixedRegionChangesAreDetected) {
  std::string child = kCpp;
  child.replace(child.find("2 * x"), 5, "3 * x + 1");
  EXPECT_TRUE(CheckFixedRegionsIntact(kCpp, child, "a.cc").ok());
  std::string bad = kCpp;
  bad.replace(bad.find("int main"), 3, "long");
  Status s = CheckFixedRegionsIntact(kCpp, bad, "a.cc");
  EXPECT_EQ(s.message(), "a.cc: fixed region 2 (outside EVOLVE-BLOCK markers) was changed");
  std::string no_markers = "double f(double x) { return x; }\n";
  EXPECT_FALSE(CheckFixedRegionsIntact(kCpp, no_markers, "a.cc").ok());
}

TEST(RegionsTest, ReplaceEvolvableRegion) {
  auto out = ReplaceEvolvableRegion(kCpp, "a.cc", 0, "double f(double x) { return x; }\n");
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(CheckFixedRegionsIntact(kCpp, *out, "a.cc").ok());
  EXPECT_NE(out->find("return x;"), std::string::npos);
  EXPECT_FALSE(ReplaceEvolvableRegion(kCpp, "a.cc", 1, "").ok());
}

TEST(RegionsTest, ProgramLevelCheckComparesFileLists) {
  Program a{{{"a.cc", kCpp}}};
  Program b{{{"b.cc", kCpp}}};
  EXPECT_TRUE(CheckProgramFixedRegions(a, a).ok());
  EXPECT_FALSE(CheckProgramFixedRegions(a, b).ok());
  EXPECT_FALSE(CheckProgramFixedRegions(a, Program{}).ok());
}

}  // namespace
}  // namespace crucible
