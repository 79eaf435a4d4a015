#include "core/parsed_program.h"

#include <gtest/gtest.h>

#include "core/hash.h"

namespace crucible {
namespace {

constexpr char kCpp[] =
    "#include <cmath>\n"
    "// EVOLVE-BLOCK-START\n"
    "double f(double x) { return 2 * x; }\n"
    "// EVOLVE-BLOCK-END\n"
    "int main() {}\n";

Program Files(std::vector<SourceFile> files) { return Program{std::move(files)}; }

TEST(ParsedProgramTest, HoldsRegionsTextsSizeAndTheNormalisedHash) {
  const Program p = Files({{"a.cc", kCpp}, {"b.py", "x = 1  # one\n"}});
  const ParsedProgram parsed(p);
  EXPECT_EQ(parsed.program(), p);
  EXPECT_EQ(parsed.hash(), NormalizedProgramHash(p));
  EXPECT_EQ(parsed.size_bytes(), p.SizeBytes());
  ASSERT_EQ(parsed.num_files(), 2u);
  EXPECT_EQ(parsed.regions(0), *ParseRegions(kCpp, "a.cc"));
  ASSERT_EQ(parsed.EvolvableTexts(0).size(), 1u);
  EXPECT_EQ(parsed.EvolvableTexts(0)[0], "double f(double x) { return 2 * x; }\n");
  ASSERT_EQ(parsed.FixedTexts(0).size(), 2u);
  EXPECT_EQ(parsed.FixedTexts(0)[0], "#include <cmath>\n// EVOLVE-BLOCK-START\n");
  EXPECT_EQ(parsed.FixedTexts(0)[1], "// EVOLVE-BLOCK-END\nint main() {}\n");
  // No markers: the whole file is evolvable.
  ASSERT_EQ(parsed.EvolvableTexts(1).size(), 1u);
  EXPECT_TRUE(parsed.FixedTexts(1).empty());
  EXPECT_EQ(parsed.EvolvableBytes(), 37u + 13u);
  EXPECT_TRUE(parsed.HasNonEmptyEvolvableRegion(0));
}

TEST(ParsedProgramTest, CopiesStayValidAndAKnownHashIsKept) {
  auto original = std::make_unique<ParsedProgram>(Files({{"a.cc", kCpp}}));
  const ParsedProgram copy = *original;
  original.reset();
  EXPECT_EQ(copy.EvolvableTexts(0)[0], "double f(double x) { return 2 * x; }\n");
  EXPECT_EQ(ParsedProgram(Files({{"a.cc", kCpp}}), 1234).hash(), 1234u);
}

TEST(ParsedProgramTest, MalformedMarkersKeepTheirErrorAndTheHash) {
  const Program p = Files({{"a.cc", "// EVOLVE-BLOCK-START\nx\n"}});
  const ParsedProgram parsed(p);
  EXPECT_EQ(parsed.regions_status(0).message(),
            "a.cc:1: EVOLVE-BLOCK-START is never closed by EVOLVE-BLOCK-END");
  EXPECT_TRUE(parsed.regions(0).empty());
  EXPECT_EQ(parsed.hash(), NormalizedProgramHash(p));
  EXPECT_FALSE(parsed.HasNonEmptyEvolvableRegion(0));
}

TEST(ParsedProgramTest, FixedRegionCheckNamesWhatChanged) {
  const ParsedProgram parent(Files({{"a.cc", kCpp}}));
  std::string child = kCpp;
  child.replace(child.find("2 * x"), 5, "3 * x");
  EXPECT_TRUE(CheckFixedRegionsIntact(parent, ParsedProgram(Files({{"a.cc", child}}))).ok());
  std::string bad = kCpp;
  bad.replace(bad.find("int main"), 3, "long");
  EXPECT_EQ(CheckFixedRegionsIntact(parent, ParsedProgram(Files({{"a.cc", bad}}))).message(),
            "a.cc: fixed region 2 (outside EVOLVE-BLOCK markers) was changed");
  EXPECT_EQ(
      CheckFixedRegionsIntact(parent, ParsedProgram(Files({{"a.cc", "double f;\n"}}))).message(),
      "a.cc: the child has 1 EVOLVE-BLOCK regions, the parent 1; markers must not change");
  EXPECT_EQ(CheckFixedRegionsIntact(parent, ParsedProgram(Files({{"b.cc", kCpp}}))).message(),
            "file 1 is 'b.cc' in the child, 'a.cc' in the parent");
  EXPECT_EQ(CheckFixedRegionsIntact(parent, ParsedProgram(Program{})).message(),
            "the child has 0 files, the parent 1");
  EXPECT_EQ(CheckFixedRegionsIntact(
                parent, ParsedProgram(Files({{"a.cc", "// EVOLVE-BLOCK-END\n"}})))
                .message(),
            "a.cc:1: EVOLVE-BLOCK-END without EVOLVE-BLOCK-START");
}

}  // namespace
}  // namespace crucible
