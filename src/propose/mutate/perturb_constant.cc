// PerturbConstant: see operators.h.
#include <algorithm>
#include <array>
#include <cmath>
#include <string>

#include "propose/mutate/number_literal.h"
#include "propose/mutate/operators.h"
#include "propose/mutate/source_model.h"

namespace crucible {
namespace {

using mutate_internal::kNone;

constexpr double kSignFlipProbability = 0.05;
constexpr double kFloatStepProbability = 0.4;

// Significant digits as written: "0.050" has 2, "1.5e3" has 2.
int WrittenSignificantDigits(const NumberLiteral& lit) {
  const std::string all = lit.digits + lit.fraction;
  const size_t first = all.find_first_not_of('0');
  return first == std::string::npos ? 1 : static_cast<int>(all.size() - first);
}

// ±1 in the last written decimal place of the mantissa, exactly: "0.25" ->
// "0.24" or "0.26", "1.5e-3" -> "1.4e-3". nullopt if the mantissa is too long.
std::optional<std::string> StepFloat(const NumberLiteral& lit, Rng& rng) {
  std::string mantissa = lit.digits + lit.fraction;
  mantissa.erase(0, std::min(mantissa.find_first_not_of('0'), mantissa.size()));
  if (mantissa.size() > 17) return std::nullopt;
  const int64_t m = mantissa.empty() ? 0 : std::stoll(mantissa);
  int64_t next = rng.Bernoulli(0.5) ? m + 1 : m - 1;
  if (next <= 0) next = m + 1;
  std::string text = std::to_string(next);
  const size_t frac = lit.fraction.size();
  if (text.size() <= frac) text.insert(0, frac + 1 - text.size(), '0');
  std::string int_part = text.substr(0, text.size() - frac);
  if (lit.digits.empty() && int_part == "0") int_part.clear();  // keep ".5" style
  std::string out = int_part;
  if (lit.has_point) out += "." + text.substr(text.size() - frac);
  return out + lit.exponent + lit.suffix;
}

std::optional<std::string> PerturbFloat(const NumberLiteral& lit, Rng& rng, double sigma) {
  if (rng.Bernoulli(kFloatStepProbability)) {
    if (auto stepped = StepFloat(lit, rng)) return stepped;
  }
  const std::optional<double> value = FloatValue(lit);
  if (!value) return std::nullopt;
  const double noise = sigma * rng.Normal();
  const double next = *value == 0 ? std::abs(noise) : *value * std::exp(noise);
  if (!std::isfinite(next) || next <= 0) return std::nullopt;
  // Enough digits to show a change of relative size sigma, never fewer than
  // the literal had.
  const int sigma_digits = 3 + static_cast<int>(std::ceil(-std::log10(std::max(sigma, 1e-15))));
  const int digits = std::max(WrittenSignificantDigits(lit), sigma_digits);
  // A literal written with an exponent keeps one.
  const FloatStyle style = lit.exponent.empty() ? FloatStyle::kAuto : FloatStyle::kScientific;
  return FormatFloat(next, digits, style) + lit.suffix;
}

std::optional<std::string> PerturbInteger(const NumberLiteral& lit, Rng& rng, double sigma) {
  const std::optional<uint64_t> value = IntegerValue(lit);
  if (!value) return std::nullopt;
  const uint64_t v = *value;
  const uint64_t r = rng.Uniform(100);
  uint64_t step = 1;
  if (r >= 40 && r < 70) {
    const double scaled = std::round(static_cast<double>(v) * sigma * std::abs(rng.Normal()));
    step = std::max<uint64_t>(1, static_cast<uint64_t>(std::min(scaled, 1e15)));
  }
  uint64_t next = v;
  if (r < 70) {
    next = rng.Bernoulli(0.5) && v >= step ? v - step : v + step;
  } else if (r < 85) {
    next = v * 2;
  } else {
    next = v / 2;
  }
  if (next == v) next = v + 1;  // 0 * 2, 0 / 2
  return FormatInteger(next, lit);
}

// Operators and words after which a unary minus may stand.
bool AllowsUnaryMinus(const EditContext& ctx, size_t token) {
  static constexpr std::array<std::string_view, 22> kOps = {
      "=",  "==", "!=", "<",  ">",  "<=", ">=", "*",  "/",  "%", "&&",
      "||", "?",  ":",  "+=", "-=", "*=", "/=", "**", "//", "(", ","};
  const std::string_view text = mutate_internal::TextOf(ctx, token);
  const TokenKind kind = ctx.tokens[token].kind;
  if (kind == TokenKind::kOperator || kind == TokenKind::kPunctuation) {
    return text == "[" || text == "{" || std::find(kOps.begin(), kOps.end(), text) != kOps.end();
  }
  if (kind != TokenKind::kIdentifier) return false;
  if (ctx.language == Language::kPython) {
    return text == "return" || text == "and" || text == "or" || text == "not" || text == "if" ||
           text == "else" || text == "in" || text == "yield";
  }
  return text == "return" || text == "case";
}

// Adds or removes a unary minus before number token `i`.
std::optional<Edit> FlipSign(const EditContext& ctx, size_t i, bool is_zero) {
  using namespace mutate_internal;
  const Token& num = ctx.tokens[i];
  const std::string_view text = TextOf(ctx, i);
  const size_t prev = PrevSignificant(ctx, i);
  if (prev != kNone && TokenIs(ctx, prev, TokenKind::kOperator, "-") &&
      !IsOperandEnd(ctx, PrevSignificant(ctx, prev)) && TokenInEvolvable(ctx, prev)) {
    const Token& minus = ctx.tokens[prev];
    std::string child = Splice(ctx.source, minus.begin, minus.begin + 1, "");
    if (!EditLexesCleanly(ctx, child, num.begin - 1, TokenKind::kNumber, text)) return std::nullopt;
    return MakeEdit(std::move(child), LineNumberAt(ctx.source, num.begin), "-" + std::string(text),
                    std::string(text));
  }
  if (is_zero || prev == kNone || !AllowsUnaryMinus(ctx, prev)) return std::nullopt;
  // Go's "<-" is an operator of its own.
  if (num.begin > 0 && ctx.source[num.begin - 1] == '<') return std::nullopt;
  std::string child = Splice(ctx.source, num.begin, num.begin, "-");
  if (!EditLexesCleanly(ctx, child, num.begin, TokenKind::kOperator, "-")) return std::nullopt;
  return MakeEdit(std::move(child), LineNumberAt(ctx.source, num.begin), std::string(text),
                  "-" + std::string(text));
}

std::optional<Edit> PerturbAt(const EditContext& ctx, size_t i, const NumberLiteral& lit, Rng& rng,
                              double sigma) {
  using namespace mutate_internal;
  const Token& num = ctx.tokens[i];
  const std::string_view text = TextOf(ctx, i);
  if (rng.Bernoulli(kSignFlipProbability)) {
    const std::optional<uint64_t> int_value = IntegerValue(lit);
    const std::optional<double> float_value = FloatValue(lit);
    const bool zero = (int_value && *int_value == 0) || (float_value && *float_value == 0);
    if (auto flipped = FlipSign(ctx, i, zero)) return flipped;
  }
  std::optional<std::string> next =
      lit.is_float ? PerturbFloat(lit, rng, sigma) : PerturbInteger(lit, rng, sigma);
  if (!next || *next == text) return std::nullopt;
  std::string child = Splice(ctx.source, num.begin, num.begin + num.length, *next);
  if (!EditLexesCleanly(ctx, child, num.begin, TokenKind::kNumber, *next)) return std::nullopt;
  return MakeEdit(std::move(child), LineNumberAt(ctx.source, num.begin), std::string(text),
                  std::move(*next));
}

}  // namespace

std::optional<Edit> PerturbConstant(const EditContext& ctx, Rng& rng, double float_sigma) {
  using namespace mutate_internal;
  std::vector<size_t> sites;
  for (size_t i = 0; i < ctx.tokens.size(); ++i) {
    if (ctx.tokens[i].kind != TokenKind::kNumber || !TokenInEvolvable(ctx, i)) continue;
    // t.0 (a tuple field in Rust) or a->1: not a value.
    const size_t prev = PrevSignificant(ctx, i);
    if (TokenIs(ctx, prev, TokenKind::kPunctuation, ".") ||
        TokenIs(ctx, prev, TokenKind::kOperator, "->")) {
      continue;
    }
    if (IsLoopStart(ctx, i)) continue;
    sites.push_back(i);
  }
  for (size_t k : Shuffled(sites.size(), rng)) {
    const size_t i = sites[k];
    const std::optional<NumberLiteral> lit = ParseNumberLiteral(TextOf(ctx, i), ctx.language);
    if (!lit) continue;
    if (auto edit = PerturbAt(ctx, i, *lit, rng, float_sigma)) return edit;
  }
  return std::nullopt;
}

}  // namespace crucible
