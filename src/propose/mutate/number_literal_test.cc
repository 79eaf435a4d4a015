#include "propose/mutate/number_literal.h"

#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <string>

#include "core/rng.h"

namespace crucible {
namespace {

using Base = NumberLiteral::Base;

TEST(ParseNumberLiteralTest, CIntegers) {
  auto lit = ParseNumberLiteral("1'000u", Language::kCFamily);
  ASSERT_TRUE(lit);
  EXPECT_EQ(lit->base, Base::kDecimal);
  EXPECT_FALSE(lit->is_float);
  EXPECT_EQ(lit->digits, "1000");
  EXPECT_EQ(lit->suffix, "u");
  EXPECT_EQ(IntegerValue(*lit), 1000u);

  lit = ParseNumberLiteral("0xFFul", Language::kCFamily);
  ASSERT_TRUE(lit);
  EXPECT_EQ(lit->base, Base::kHex);
  EXPECT_EQ(lit->prefix, "0x");
  EXPECT_TRUE(lit->uppercase_digits);
  EXPECT_EQ(lit->suffix, "ul");
  EXPECT_EQ(IntegerValue(*lit), 255u);

  lit = ParseNumberLiteral("0b1010'0101", Language::kCFamily);
  ASSERT_TRUE(lit);
  EXPECT_EQ(lit->base, Base::kBinary);
  EXPECT_EQ(IntegerValue(*lit), 0xA5u);

  lit = ParseNumberLiteral("017", Language::kCFamily);
  ASSERT_TRUE(lit);
  EXPECT_EQ(lit->base, Base::kOctal);
  EXPECT_EQ(IntegerValue(*lit), 15u);

  lit = ParseNumberLiteral("10_ms", Language::kCFamily);
  ASSERT_TRUE(lit);
  EXPECT_EQ(lit->suffix, "_ms");
  EXPECT_EQ(IntegerValue(*lit), 10u);
}

TEST(ParseNumberLiteralTest, CFloats) {
  auto lit = ParseNumberLiteral("3.5e-2f", Language::kCFamily);
  ASSERT_TRUE(lit);
  EXPECT_TRUE(lit->is_float);
  EXPECT_EQ(lit->digits, "3");
  EXPECT_EQ(lit->fraction, "5");
  EXPECT_EQ(lit->exponent, "e-2");
  EXPECT_EQ(lit->suffix, "f");
  EXPECT_DOUBLE_EQ(*FloatValue(*lit), 0.035);
  EXPECT_FALSE(IntegerValue(*lit));

  lit = ParseNumberLiteral(".5", Language::kCFamily);
  ASSERT_TRUE(lit);
  EXPECT_TRUE(lit->is_float);
  EXPECT_DOUBLE_EQ(*FloatValue(*lit), 0.5);

  lit = ParseNumberLiteral("1.", Language::kCFamily);
  ASSERT_TRUE(lit);
  EXPECT_TRUE(lit->is_float);
  EXPECT_DOUBLE_EQ(*FloatValue(*lit), 1.0);

  lit = ParseNumberLiteral("1e10", Language::kCFamily);
  ASSERT_TRUE(lit);
  EXPECT_TRUE(lit->is_float);
}

TEST(ParseNumberLiteralTest, RejectsWhatShouldNotBeTouched) {
  for (std::string_view bad :
       {"0x1.8p3", "0x1p4", "1e", "1e+", "0b2", "089", "0x", "1.2.3", "1f+"}) {
    EXPECT_FALSE(ParseNumberLiteral(bad, Language::kCFamily)) << bad;
  }
  for (std::string_view bad : {"0123", "1L", "1f", "0o8", "1e"}) {
    EXPECT_FALSE(ParseNumberLiteral(bad, Language::kPython)) << bad;
  }
}

TEST(ParseNumberLiteralTest, Python) {
  auto lit = ParseNumberLiteral("1_000", Language::kPython);
  ASSERT_TRUE(lit);
  EXPECT_EQ(IntegerValue(*lit), 1000u);
  lit = ParseNumberLiteral("0o17", Language::kPython);
  ASSERT_TRUE(lit);
  EXPECT_EQ(lit->base, Base::kOctal);
  EXPECT_EQ(IntegerValue(*lit), 15u);
  lit = ParseNumberLiteral("0x_ff", Language::kPython);
  ASSERT_TRUE(lit);
  EXPECT_EQ(IntegerValue(*lit), 255u);
  lit = ParseNumberLiteral("2.5j", Language::kPython);
  ASSERT_TRUE(lit);
  EXPECT_TRUE(lit->is_float);
  EXPECT_EQ(lit->suffix, "j");
  lit = ParseNumberLiteral("00", Language::kPython);
  ASSERT_TRUE(lit);
  EXPECT_EQ(IntegerValue(*lit), 0u);
}

TEST(FormatIntegerTest, KeepsBasePrefixCaseSuffixAndWidth) {
  EXPECT_EQ(FormatInteger(254, *ParseNumberLiteral("0xFFu", Language::kCFamily)), "0xFEu");
  EXPECT_EQ(FormatInteger(1, *ParseNumberLiteral("0x00ff", Language::kCFamily)), "0x0001");
  EXPECT_EQ(FormatInteger(256, *ParseNumberLiteral("0XFF", Language::kCFamily)), "0X100");
  EXPECT_EQ(FormatInteger(5, *ParseNumberLiteral("0b1000", Language::kCFamily)), "0b0101");
  EXPECT_EQ(FormatInteger(8, *ParseNumberLiteral("017", Language::kCFamily)), "010");
  EXPECT_EQ(FormatInteger(0, *ParseNumberLiteral("017", Language::kCFamily)), "0");
  EXPECT_EQ(FormatInteger(8, *ParseNumberLiteral("0o17", Language::kPython)), "0o10");
  EXPECT_EQ(FormatInteger(1001, *ParseNumberLiteral("1'000LL", Language::kCFamily)), "1001LL");
}

TEST(FormatFloatTest, AlwaysAFloatLiteral) {
  EXPECT_EQ(FormatFloat(3.0, 6), "3.0");
  EXPECT_EQ(FormatFloat(0.55, 6), "0.55");
  EXPECT_EQ(FormatFloat(0.0125, 6), "0.0125");
  EXPECT_EQ(FormatFloat(123456.0, 3), "123000.0");
  EXPECT_EQ(FormatFloat(1.5e-7, 6), "1.5e-7");
  EXPECT_EQ(FormatFloat(2.5e20, 6), "2.5e20");
  EXPECT_EQ(FormatFloat(1e20, 6), "1e20");
  EXPECT_EQ(FormatFloat(0.0, 6), "0.0");
  EXPECT_EQ(FormatFloat(0.123456789, 4), "0.1235");
  EXPECT_EQ(FormatFloat(0.001463, 4, FloatStyle::kScientific), "1.463e-3");
  EXPECT_EQ(FormatFloat(250.0, 4, FloatStyle::kScientific), "2.5e2");
  EXPECT_EQ(FormatFloat(1.0, 4, FloatStyle::kScientific), "1e0");
}

TEST(FormatFloatTest, RoundTripsRandomValues) {
  Rng rng(7);
  for (int i = 0; i < 20000; ++i) {
    const double v = std::exp(rng.Normal() * 20);
    const int digits = static_cast<int>(rng.UniformInt(1, 17));
    const FloatStyle style = rng.Bernoulli(0.5) ? FloatStyle::kAuto : FloatStyle::kScientific;
    const std::string text = FormatFloat(v, digits, style);
    ASSERT_TRUE(text.find('.') != std::string::npos || text.find('e') != std::string::npos) << text;
    auto lit = ParseNumberLiteral(text, Language::kCFamily);
    ASSERT_TRUE(lit) << text;
    ASSERT_TRUE(lit->is_float) << text;
    ASSERT_TRUE(ParseNumberLiteral(text, Language::kPython)) << text;
    // Parsing the text and writing it again gives the same text, and the
    // value is v rounded to `digits` significant digits.
    const double parsed = *FloatValue(*lit);
    ASSERT_EQ(FormatFloat(parsed, digits, style), text);
    ASSERT_NEAR(parsed / v, 1.0, 1.0 * std::pow(10.0, 1 - digits)) << text;
  }
}

}  // namespace
}  // namespace crucible
