#include "propose/llm/patch.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/regions.h"
#include "core/rng.h"

namespace crucible {
namespace {

using ::testing::HasSubstr;

Program OneFile(std::string content, std::string path = "p.py") {
  return Program{{SourceFile{std::move(path), std::move(content)}}};
}

constexpr char kSource[] =
    "import math\n"
    "# EVOLVE-BLOCK-START\n"
    "def f(x):\n"
    "    y = x * 2\n"
    "    return y + 1\n"
    "# EVOLVE-BLOCK-END\n"
    "print(f(3))\n";

TEST(ParseDiffBlocks, ReadsSeveralBlocksAndIgnoresProse) {
  auto blocks = ParseDiffBlocks(
      "Idea: double less.\n```\n<<<<<<< SEARCH\n    y = x * 2\n=======\n    y = x * 3\n>>>>>>> "
      "REPLACE\n```\nand\n<<<<<<< SEARCH\na\n=======\n>>>>>>> REPLACE\n");
  ASSERT_TRUE(blocks.ok()) << blocks.status().ToString();
  ASSERT_EQ(blocks->size(), 2u);
  EXPECT_EQ((*blocks)[0].search, "    y = x * 2\n");
  EXPECT_EQ((*blocks)[0].replace, "    y = x * 3\n");
  EXPECT_EQ((*blocks)[1].replace, "");
}

TEST(ParseDiffBlocks, UnterminatedBlockIsAnError) {
  auto blocks = ParseDiffBlocks("<<<<<<< SEARCH\nx\n=======\ny\n");
  ASSERT_FALSE(blocks.ok());
  EXPECT_THAT(blocks.status().message(), HasSubstr("block 1: no >>>>>>> REPLACE"));
  EXPECT_TRUE(ParseDiffBlocks("no blocks here")->empty());
}

TEST(ApplyDiff, ExactMatch) {
  PatchResult r = ApplyDiff(OneFile(kSource), {{"    y = x * 2\n", "    y = x * 5\n"}});
  ASSERT_TRUE(r.failures.empty());
  EXPECT_EQ(r.applied, 1);
  EXPECT_EQ(r.tolerant, 0);
  EXPECT_THAT(r.program.files[0].content, HasSubstr("y = x * 5"));
}

TEST(ApplyDiff, TolerantMatchReindents) {
  PatchResult r = ApplyDiff(OneFile(kSource), {{"y = x  *  2\nreturn y + 1\n", "y = x * 7\nreturn y\n"}});
  ASSERT_TRUE(r.failures.empty()) << r.failures[0];
  EXPECT_EQ(r.tolerant, 1);
  EXPECT_THAT(r.program.files[0].content, HasSubstr("def f(x):\n    y = x * 7\n    return y\n# EVOLVE"));
}

TEST(ApplyDiff, RefusesFixedRegionEdits) {
  // Entirely outside: the import line.
  PatchResult r = ApplyDiff(OneFile(kSource), {{"import math\n", "import os\n"}});
  ASSERT_EQ(r.failures.size(), 1u);
  EXPECT_THAT(r.failures[0], HasSubstr("block 1: refused"));
  EXPECT_EQ(r.program.files[0].content, kSource);
  // Straddling the end marker.
  r = ApplyDiff(OneFile(kSource), {{"    return y + 1\n# EVOLVE-BLOCK-END\n", "    return 0\n"}});
  ASSERT_EQ(r.failures.size(), 1u);
  EXPECT_THAT(r.failures[0], HasSubstr("refused"));
}

TEST(ApplyDiff, ReportsWhichBlocksFailed) {
  PatchResult r = ApplyDiff(OneFile(kSource), {{"    y = x * 2\n", "    y = x * 3\n"},
                                               {"    nothing like this\n", "x\n"}});
  ASSERT_EQ(r.failures.size(), 1u);
  EXPECT_THAT(r.failures[0], HasSubstr("block 2: the SEARCH text"));
}

TEST(ApplyRewrite, SplicesOnlyEvolvableRegions) {
  // The model also changed the fixed import: ignored, fixed code is kept.
  auto p = ApplyRewrite(OneFile(kSource), 0,
                        "import os\n# EVOLVE-BLOCK-START\ndef f(x):\n    return 42\n# EVOLVE-BLOCK-END\n"
                        "print(f(3))\n");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_TRUE(CheckProgramFixedRegions(OneFile(kSource), *p).ok());
  EXPECT_THAT(p->files[0].content, HasSubstr("return 42"));
  EXPECT_THAT(p->files[0].content, HasSubstr("import math"));
  // Without markers: the body replaces the single region.
  p = ApplyRewrite(OneFile(kSource), 0, "def f(x):\n    return 7\n");
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(CheckProgramFixedRegions(OneFile(kSource), *p).ok());
  EXPECT_THAT(p->files[0].content, HasSubstr("return 7"));
}

TEST(ParseFencedCode, TakesTheLargestCompleteBlock) {
  EXPECT_EQ(*ParseFencedCode("a\n```py\nx = 1\ny = 2\n```\n```\nz\n```\n"), "x = 1\ny = 2\n");
  EXPECT_FALSE(ParseFencedCode("```python\nx = 1\n").ok());  // truncated
}

// Randomised: blocks cut from random places of random programs. Whatever the
// blocks, the applier never changes a fixed region, and a block copied from
// inside an evolvable region always applies.
TEST(ApplyDiffFuzz, NeverChangesFixedRegionsAndAppliesExactCopies) {
  Rng rng(12345);
  const char* words[] = {"x", "y", "=", "+", "1", "2", "foo(", ")", "  ", "\t", "return", ":"};
  for (int iter = 0; iter < 2000; ++iter) {
    std::string content;
    const int regions = 1 + static_cast<int>(rng.Uniform(3));
    for (int r = 0; r < regions; ++r) {
      for (int l = 0, n = static_cast<int>(rng.Uniform(4)); l < n; ++l) {
        content += std::string("fixed") + std::to_string(rng.Uniform(5)) + "\n";
      }
      content += "# EVOLVE-BLOCK-START\n";
      for (int l = 0, n = 1 + static_cast<int>(rng.Uniform(6)); l < n; ++l) {
        for (int w = 0, m = 1 + static_cast<int>(rng.Uniform(5)); w < m; ++w) {
          content += words[rng.Uniform(std::size(words))];
          content += ' ';
        }
        content += "\n";
      }
      content += "# EVOLVE-BLOCK-END\n";
    }
    const Program parent = OneFile(content);
    // A random byte range, cut on line boundaries or not.
    const size_t a = rng.Uniform(content.size());
    const size_t b = a + rng.Uniform(content.size() - a) + 1;
    SearchReplace block{content.substr(a, b - a), rng.Bernoulli(0.5) ? "z = 0\n" : ""};
    PatchResult r = ApplyDiff(parent, {block});
    if (r.failures.empty()) {
      ASSERT_TRUE(CheckProgramFixedRegions(parent, r.program).ok())
          << "content:\n" << content << "search:\n" << block.search;
    } else {
      EXPECT_FALSE(r.failures[0].empty());
    }
    // An exact copy of a whole evolvable line applies.
    auto regions_or = ParseRegions(content, "p.py");
    ASSERT_TRUE(regions_or.ok());
    for (const Region& reg : EvolvableRegions(*regions_or)) {
      if (reg.size() == 0) continue;
      std::string text = content.substr(reg.begin, reg.size());
      const size_t nl = text.find('\n');
      std::string line = text.substr(0, nl + 1);
      if (line.find_first_not_of(" \t\n") == std::string::npos) continue;
      PatchResult ok = ApplyDiff(parent, {{line, "q = 1\n"}});
      EXPECT_TRUE(ok.failures.empty()) << line;
      EXPECT_TRUE(CheckProgramFixedRegions(parent, ok.program).ok());
      break;
    }
  }
}

TEST(ParseDiffBlocks, FenceLinesInsideABlockAreDropped) {
  auto blocks = ParseDiffBlocks(
      "<<<<<<< SEARCH\n```python\n    y = x * 2\n```\n=======\n```python\n    y = x * 3\n```\n"
      ">>>>>>> REPLACE\n");
  ASSERT_TRUE(blocks.ok());
  ASSERT_EQ(blocks->size(), 1u);
  EXPECT_EQ((*blocks)[0].search, "    y = x * 2\n");
  EXPECT_EQ((*blocks)[0].replace, "    y = x * 3\n");
  PatchResult r = ApplyDiff(OneFile(kSource), *blocks);
  EXPECT_TRUE(r.failures.empty());
}

TEST(ApplyDiff, ExactMatchesStartAtLineStartsAndKeepIndentation) {
  // "y = x * 2\n" occurs mid-line (after the indentation) only: the exact
  // search must not splice there; the tolerant match re-indents instead.
  PatchResult r = ApplyDiff(OneFile(kSource), {{"y = x * 2\n", "y = x * 5\nz = 1\n"}});
  ASSERT_TRUE(r.failures.empty());
  EXPECT_THAT(r.program.files[0].content, HasSubstr("\n    y = x * 5\n    z = 1\n    return"));
  EXPECT_EQ(r.tolerant, 1);
}

TEST(ApplyRewrite, AWholeFileWithoutItsMarkersIsRefused) {
  auto r = ApplyRewrite(OneFile(kSource), 0,
                        "import math\ndef f(x):\n    return 7\nprint(f(3))\n");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("drops the EVOLVE-BLOCK-START/END marker lines"));
  // Only the region's code, without markers, still replaces the region.
  auto ok = ApplyRewrite(OneFile(kSource), 0, "def f(x):\n    return 7\n");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_THAT(ok->files[0].content, HasSubstr("    return 7\n# EVOLVE-BLOCK-END\nprint(f(3))\n"));
}

}  // namespace
}  // namespace crucible
