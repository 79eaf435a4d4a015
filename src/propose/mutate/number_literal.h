// Numeric literals as the constant-perturbation operator sees them: parsed
// into base, digits, exponent and suffix, so that a changed value can be
// written back in the same form (hex stays hex, an int stays an int, the 'f'
// or 'u' suffix is kept) and always as a valid literal.
#ifndef CRUCIBLE_PROPOSE_MUTATE_NUMBER_LITERAL_H_
#define CRUCIBLE_PROPOSE_MUTATE_NUMBER_LITERAL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/lexer.h"

namespace crucible {

struct NumberLiteral {
  enum class Base { kDecimal, kHex, kBinary, kOctal };
  Base base = Base::kDecimal;
  bool is_float = false;
  std::string prefix;  // "0x", "0B", "0o", "0" (C octal) or ""
  std::string digits;  // the integer part, digit separators removed
  bool has_point = false;
  std::string fraction;           // digits after the point, separators removed
  std::string exponent;           // as written, e.g. "e-3", "E+10"; "" if none
  std::string suffix;             // kept verbatim: u, UL, f, L, j, i32, _ms, ...
  bool uppercase_digits = false;  // hex digits were written A-F
};

// Parses a kNumber token's text. nullopt for anything the operator should not
// touch: hex floats, malformed literals ("1e", "0b2", "089"), suffixes that
// are not identifier-like, Python suffixes other than j/J, or (Python) a
// decimal with leading zeros.
std::optional<NumberLiteral> ParseNumberLiteral(std::string_view text, Language language);

// The value of an integer literal; nullopt for floats and values >= 2^62
// (so that doubling cannot overflow).
std::optional<uint64_t> IntegerValue(const NumberLiteral& literal);

// `value` written in the base, prefix, letter case and suffix of `like`,
// zero-padded to at least as many digits as `like` has (hex and binary).
std::string FormatInteger(uint64_t value, const NumberLiteral& like);

// The value of a float literal (without suffix); nullopt if not a float.
std::optional<double> FloatValue(const NumberLiteral& literal);

enum class FloatStyle {
  kAuto,        // fixed for exponents in [-5, 16), else scientific
  kScientific,  // always d.ddde±x
};

// A non-negative finite `value` rounded to `significant_digits` (1..17) and
// written as a float literal valid in C-family and Python: it always has a
// '.' or an exponent ("3.0", "0.0125", "1.5e-7", "2e20"). Parsing the text
// gives back exactly the rounded value.
std::string FormatFloat(double value, int significant_digits, FloatStyle style = FloatStyle::kAuto);

}  // namespace crucible

#endif  // CRUCIBLE_PROPOSE_MUTATE_NUMBER_LITERAL_H_
