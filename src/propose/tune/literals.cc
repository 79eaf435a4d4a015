#include "propose/tune/literals.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "propose/mutate/source_model.h"

namespace crucible {
namespace {

using mutate_internal::kNone;

// Significant digits as written: "0.050" has 2, "1.5e3" has 2.
int WrittenDigits(const NumberLiteral& lit) {
  const std::string all = lit.digits + lit.fraction;
  const size_t first = all.find_first_not_of('0');
  return first == std::string::npos ? 1 : static_cast<int>(all.size() - first);
}

// A number token that stands for a value an optimiser may move.
bool IsValueSite(const EditContext& ctx, size_t i) {
  using namespace mutate_internal;
  if (ctx.tokens[i].kind != TokenKind::kNumber || !TokenInEvolvable(ctx, i)) return false;
  const size_t prev = PrevSignificant(ctx, i);
  if (TokenIs(ctx, prev, TokenKind::kPunctuation, ".") ||
      TokenIs(ctx, prev, TokenKind::kOperator, "->")) {
    return false;
  }
  return !IsLoopStart(ctx, i);
}

}  // namespace

std::vector<TunableLiteral> FindTunableLiterals(const ParsedProgram& program,
                                                const LiteralOptions& options) {
  std::vector<TunableLiteral> out;
  for (size_t f = 0; f < program.num_files(); ++f) {
    if (!program.regions_status(f).ok() || !program.HasNonEmptyEvolvableRegion(f)) continue;
    const SourceFile& file = program.program().files[f];
    EditContext ctx;
    ctx.source = file.content;
    ctx.path = file.path;
    ctx.language = LanguageForPath(file.path);
    ctx.regions = program.regions(f);
    ctx.tokens = Tokenize(ctx.source, ctx.language);
    for (size_t i = 0; i < ctx.tokens.size(); ++i) {
      if (static_cast<int>(out.size()) >= options.max_literals) return out;
      if (!IsValueSite(ctx, i)) continue;
      const std::string_view text = mutate_internal::TextOf(ctx, i);
      std::optional<NumberLiteral> lit = ParseNumberLiteral(text, ctx.language);
      if (!lit) continue;
      TunableLiteral t;
      if (lit->is_float) {
        const std::optional<double> v = FloatValue(*lit);
        if (!v || !(*v > 0) || !std::isfinite(*v)) continue;
        t.value = *v;
      } else {
        if (!options.integers || lit->base != NumberLiteral::Base::kDecimal) continue;
        const std::optional<uint64_t> v = IntegerValue(*lit);
        if (!v || *v < 2 || *v > (uint64_t{1} << 52)) continue;
        t.value = static_cast<double>(*v);
        t.is_integer = true;
      }
      t.file = f;
      t.begin = ctx.tokens[i].begin;
      t.length = ctx.tokens[i].length;
      t.line = mutate_internal::LineNumberAt(ctx.source, t.begin);
      t.text = std::string(text);
      t.parsed = std::move(*lit);
      out.push_back(std::move(t));
    }
  }
  return out;
}

std::string LiteralText(const TunableLiteral& literal, double x, double range) {
  x = std::clamp(x, -1.0, 1.0);
  if (x == 0) return literal.text;
  const double value = literal.value * std::pow(range, x);
  if (literal.is_integer) {
    const double rounded = std::max(1.0, std::round(value));
    return FormatInteger(static_cast<uint64_t>(rounded), literal.parsed);
  }
  const int digits = std::max(6, WrittenDigits(literal.parsed));
  const FloatStyle style =
      literal.parsed.exponent.empty() ? FloatStyle::kAuto : FloatStyle::kScientific;
  return FormatFloat(value, digits, style) + literal.parsed.suffix;
}

Program RewriteLiterals(const Program& program, const std::vector<TunableLiteral>& literals,
                        const std::vector<double>& x, double range) {
  Program out = program;
  // Back to front within each file, so earlier offsets stay valid.
  for (size_t k = literals.size(); k-- > 0;) {
    const TunableLiteral& t = literals[k];
    std::string& content = out.files[t.file].content;
    content.replace(t.begin, t.length, LiteralText(t, k < x.size() ? x[k] : 0.0, range));
  }
  return out;
}

}  // namespace crucible
