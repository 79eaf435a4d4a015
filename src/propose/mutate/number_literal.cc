#include "propose/mutate/number_literal.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace crucible {
namespace {

bool IsDecDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHexDigit(char c) {
  return IsDecDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool IsBinDigit(char c) { return c == '0' || c == '1'; }
bool IsOctDigit(char c) { return c >= '0' && c <= '7'; }
bool IsIdentChar(char c) {
  return IsDecDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

// Reads digits accepted by `is_digit` into `out`, skipping a digit separator
// (C++ ', and _ as in Python, Java and Rust) that sits before a digit.
template <typename IsDigit>
void ReadDigits(std::string_view text, size_t& i, IsDigit is_digit, bool after_prefix,
                std::string& out) {
  while (i < text.size()) {
    const char c = text[i];
    if (is_digit(c)) {
      out += c;
      ++i;
    } else if ((c == '\'' || c == '_') && (!out.empty() || after_prefix) && i + 1 < text.size() &&
               is_digit(text[i + 1])) {
      ++i;
    } else {
      break;
    }
  }
}

bool ValidSuffix(const NumberLiteral& lit, Language language) {
  const std::string& s = lit.suffix;
  if (s.empty()) return true;
  if (language == Language::kPython) {
    return (s == "j" || s == "J") && lit.base == NumberLiteral::Base::kDecimal;
  }
  if (IsDecDigit(s[0]) || !std::all_of(s.begin(), s.end(), IsIdentChar)) return false;
  // "1e" or "0x1p": an exponent letter without its digits.
  if (lit.base == NumberLiteral::Base::kDecimal && (s[0] == 'e' || s[0] == 'E')) return false;
  if (lit.base == NumberLiteral::Base::kHex && (s[0] == 'p' || s[0] == 'P')) return false;
  return true;
}

}  // namespace

std::optional<NumberLiteral> ParseNumberLiteral(std::string_view text, Language language) {
  NumberLiteral lit;
  size_t i = 0;
  const char p0 = text.size() >= 2 ? text[0] : '\0';
  const char p1 = text.size() >= 2 ? static_cast<char>(text[1] | 0x20) : '\0';  // lower case
  if (p0 == '0' && (p1 == 'x' || p1 == 'b' || (p1 == 'o' && language == Language::kPython))) {
    lit.prefix = std::string(text.substr(0, 2));
    i = 2;
    if (p1 == 'x') {
      lit.base = NumberLiteral::Base::kHex;
      ReadDigits(text, i, IsHexDigit, true, lit.digits);
      if (i < text.size() && (text[i] == '.' || text[i] == 'p' || text[i] == 'P')) {
        return std::nullopt;  // hex float: left alone
      }
      lit.uppercase_digits = std::any_of(lit.digits.begin(), lit.digits.end(),
                                         [](char c) { return c >= 'A' && c <= 'F'; });
    } else if (p1 == 'b') {
      lit.base = NumberLiteral::Base::kBinary;
      ReadDigits(text, i, IsBinDigit, true, lit.digits);
    } else {
      lit.base = NumberLiteral::Base::kOctal;
      ReadDigits(text, i, IsOctDigit, true, lit.digits);
    }
    if (lit.digits.empty()) return std::nullopt;
  } else {
    ReadDigits(text, i, IsDecDigit, false, lit.digits);
    if (i < text.size() && text[i] == '.') {
      lit.has_point = true;
      ++i;
      ReadDigits(text, i, IsDecDigit, false, lit.fraction);
    }
    if (lit.digits.empty() && lit.fraction.empty()) return std::nullopt;
    if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
      size_t j = i + 1;
      if (j < text.size() && (text[j] == '+' || text[j] == '-')) ++j;
      if (j >= text.size() || !IsDecDigit(text[j])) return std::nullopt;
      std::string exponent_digits;
      ReadDigits(text, j, IsDecDigit, false, exponent_digits);
      lit.exponent = std::string(text.substr(i, j - i));
      i = j;
    }
    lit.is_float = lit.has_point || !lit.exponent.empty();
    const bool leading_zero = !lit.is_float && lit.digits.size() > 1 && lit.digits[0] == '0';
    if (leading_zero && language == Language::kPython) {
      // Python 3 allows "00" but no other leading zero.
      if (lit.digits.find_first_not_of('0') != std::string::npos) return std::nullopt;
    } else if (leading_zero) {
      lit.base = NumberLiteral::Base::kOctal;
      lit.prefix = "0";
      lit.digits.erase(0, 1);
      if (!std::all_of(lit.digits.begin(), lit.digits.end(), IsOctDigit)) return std::nullopt;
    }
  }
  lit.suffix = std::string(text.substr(i));
  if (!ValidSuffix(lit, language)) return std::nullopt;
  return lit;
}

std::optional<uint64_t> IntegerValue(const NumberLiteral& literal) {
  if (literal.is_float) return std::nullopt;
  uint64_t base = 10;
  switch (literal.base) {
    case NumberLiteral::Base::kDecimal:
      base = 10;
      break;
    case NumberLiteral::Base::kHex:
      base = 16;
      break;
    case NumberLiteral::Base::kBinary:
      base = 2;
      break;
    case NumberLiteral::Base::kOctal:
      base = 8;
      break;
  }
  constexpr uint64_t kLimit = uint64_t{1} << 62;
  uint64_t value = 0;
  for (char c : literal.digits) {
    const uint64_t d = IsDecDigit(c) ? static_cast<uint64_t>(c - '0')
                                     : static_cast<uint64_t>((c | 0x20) - 'a' + 10);
    if (value > (kLimit - d) / base) return std::nullopt;
    value = value * base + d;
  }
  return value;
}

std::string FormatInteger(uint64_t value, const NumberLiteral& like) {
  if (like.base == NumberLiteral::Base::kDecimal) return std::to_string(value) + like.suffix;
  if (like.base == NumberLiteral::Base::kOctal && like.prefix == "0" && value == 0) {
    return "0" + like.suffix;
  }
  const uint64_t base = like.base == NumberLiteral::Base::kHex      ? 16
                        : like.base == NumberLiteral::Base::kBinary ? 2
                                                                    : 8;
  const char* digit_chars = like.uppercase_digits ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string digits;
  do {
    digits += digit_chars[value % base];
    value /= base;
  } while (value != 0);
  // Masks read better at their original width.
  if (like.base != NumberLiteral::Base::kOctal) {
    while (digits.size() < like.digits.size()) digits += '0';
  }
  std::reverse(digits.begin(), digits.end());
  return like.prefix + digits + like.suffix;
}

std::optional<double> FloatValue(const NumberLiteral& literal) {
  if (!literal.is_float) return std::nullopt;
  std::string text = literal.digits.empty() ? "0" : literal.digits;
  text += '.';
  text += literal.fraction;
  for (char c : literal.exponent) {
    if (c != '_' && c != '\'') text += c;
  }
  double value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string FormatFloat(double value, int significant_digits, FloatStyle style) {
  significant_digits = std::clamp(significant_digits, 1, 17);
  if (!(value > 0) || !std::isfinite(value)) return "0.0";
  // d.ddddde±XX: the rounded significant digits and the decimal exponent.
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*e", significant_digits - 1, value);
  const std::string_view sci(buf);
  const size_t e_pos = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e_pos)) {
    if (c != '.') digits += c;
  }
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  const int exponent = std::atoi(buf + e_pos + 1);
  const int n = static_cast<int>(digits.size());
  if (style == FloatStyle::kScientific || exponent >= 16 || exponent < -5) {
    std::string out(1, digits[0]);
    if (n > 1) out += "." + digits.substr(1);
    return out + "e" + std::to_string(exponent);
  }
  if (exponent < 0) return "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
  const int int_len = exponent + 1;
  if (n <= int_len) return digits + std::string(static_cast<size_t>(int_len - n), '0') + ".0";
  return digits.substr(0, static_cast<size_t>(int_len)) + "." +
         digits.substr(static_cast<size_t>(int_len));
}

}  // namespace crucible
