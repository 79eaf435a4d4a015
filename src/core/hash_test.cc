#include "core/hash.h"

#include <gtest/gtest.h>

namespace crucible {
namespace {

TEST(HashTest, CommentsAndWhitespaceDoNotMatterInCpp) {
  const std::string a = "int f(int x) {\n  return x + 1;  // add one\n}\n";
  const std::string b = "int f(int x)   {\n\n    return x+1;\n}   \n/* trailing */\n";
  EXPECT_EQ(NormalizeSource(a, Language::kCFamily), NormalizeSource(b, Language::kCFamily));
  Program pa{{{"f.cc", a}}}, pb{{{"f.cc", b}}};
  EXPECT_EQ(NormalizedProgramHash(pa), NormalizedProgramHash(pb));
}

TEST(HashTest, CodeAndStringChangesMatter) {
  Program a{{{"f.cc", "int x = 1;\n"}}}, b{{{"f.cc", "int x = 2;\n"}}};
  EXPECT_NE(NormalizedProgramHash(a), NormalizedProgramHash(b));
  Program s1{{{"f.cc", "auto s = \"a  b\";\n"}}}, s2{{{"f.cc", "auto s = \"a b\";\n"}}};
  EXPECT_NE(NormalizedProgramHash(s1), NormalizedProgramHash(s2));
  Program p1{{{"f.cc", "int x;\n"}}}, p2{{{"g.cc", "int x;\n"}}};
  EXPECT_NE(NormalizedProgramHash(p1), NormalizedProgramHash(p2));
}

TEST(HashTest, PythonIndentationMatters) {
  const std::string a = "if x:\n    a()\n    b()\n";
  const std::string b = "if x:\n    a()\nb()\n";
  const std::string c = "if x:   # why\n    a()\n\n    b()  \n";
  EXPECT_NE(NormalizeSource(a, Language::kPython), NormalizeSource(b, Language::kPython));
  EXPECT_EQ(NormalizeSource(a, Language::kPython), NormalizeSource(c, Language::kPython));
}

TEST(HashTest, HexIsSixteenDigits) {
  EXPECT_EQ(HashToHex(0xabc), "0000000000000abc");
  EXPECT_EQ(HashBytes("x"), HashBytes("x"));
}

}  // namespace
}  // namespace crucible
