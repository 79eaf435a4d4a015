#include "core/diff.h"

#include <gtest/gtest.h>

namespace crucible {
namespace {

TEST(DiffTest, EqualTextsGiveEmptyDiff) { EXPECT_EQ(UnifiedDiff("a\nb\n", "a\nb\n", "f"), ""); }

TEST(DiffTest, OneChangedLineWithContext) {
  const std::string before = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
  const std::string after = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n";
  EXPECT_EQ(UnifiedDiff(before, after, "x.py"),
            "--- a/x.py\n+++ b/x.py\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n");
}

TEST(DiffTest, InsertionAndDeletionAtEdges) {
  EXPECT_EQ(UnifiedDiff("a\n", "a\nb\n", "f", 0), "--- a/f\n+++ b/f\n@@ -1,0 +2,1 @@\n+b\n");
  EXPECT_EQ(UnifiedDiff("a\nb\n", "b\n", "f", 0), "--- a/f\n+++ b/f\n@@ -1,1 +0,0 @@\n-a\n");
}

TEST(DiffTest, DistantChangesMakeTwoHunks) {
  std::string before, after;
  for (int i = 0; i < 30; ++i) {
    before += std::to_string(i) + "\n";
    after += (i == 2 || i == 25 ? "x" : std::to_string(i)) + "\n";
  }
  const std::string d = UnifiedDiff(before, after, "f", 1);
  EXPECT_EQ(d,
            "--- a/f\n+++ b/f\n@@ -2,3 +2,3 @@\n 1\n-2\n+x\n 3\n@@ -25,3 +25,3 @@\n 24\n-25\n+x\n "
            "26\n");
}

TEST(DiffTest, MissingFinalNewlineIsMarked) {
  const std::string d = UnifiedDiff("a", "b", "f");
  EXPECT_NE(d.find("\\ No newline at end of file"), std::string::npos);
}

TEST(DiffTest, ProgramDiffCoversEveryFile) {
  Program a{{{"a.py", "x = 1\n"}, {"b.py", "y = 1\n"}}};
  Program b{{{"a.py", "x = 2\n"}, {"b.py", "y = 1\n"}}};
  const std::string d = ProgramDiff(a, b);
  EXPECT_NE(d.find("--- a/a.py"), std::string::npos);
  EXPECT_EQ(d.find("b.py"), std::string::npos);
}

}  // namespace
}  // namespace crucible
