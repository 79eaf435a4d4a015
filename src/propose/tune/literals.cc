#include "propose/tune/literals.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>
#include <string_view>

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

// One `target = value;` statement of C-family code: the token ranges of its
// target and value (significant tokens only, as indexes into `sig`).
struct Store {
  size_t begin = 0, eq = 0, end = 0;  // first token, the '=', the ';'
  std::string target;                 // the target's tokens, concatenated
  std::string root;                   // the target's first identifier
  bool pure = true;                   // the value has no call, assignment or ++/--
};

bool IsSideEffectOperator(std::string_view op) {
  return op == "++" || op == "--" || (op.size() >= 1 && op.back() == '=' && op != "==" &&
                                      op != "!=" && op != "<=" && op != ">=");
}

// The simple assignment starting at sig[k] (a statement start), if any:
// `name`, then `[...]`, `.name` or `->name` parts, then `=`, then a value
// with balanced brackets and no brace, up to ';'.
std::optional<Store> ParseStore(const EditContext& ctx, const std::vector<size_t>& sig, size_t k) {
  using mutate_internal::TextOf;
  auto kind = [&](size_t j) { return ctx.tokens[sig[j]].kind; };
  auto text = [&](size_t j) { return TextOf(ctx, sig[j]); };
  if (kind(k) != TokenKind::kIdentifier) return std::nullopt;
  Store s;
  s.begin = k;
  s.root = std::string(text(k));
  size_t j = k + 1;
  while (j < sig.size()) {
    if (text(j) == "[") {
      int depth = 0;
      for (; j < sig.size(); ++j) {
        if (text(j) == "[") ++depth;
        if (text(j) == "]" && --depth == 0) break;
        if (text(j) == ";" || text(j) == "{" || text(j) == "}" ||
            (text(j) == "(" && kind(j - 1) == TokenKind::kIdentifier) ||  // a call
            (kind(j) == TokenKind::kOperator && IsSideEffectOperator(text(j)))) {
          return std::nullopt;
        }
      }
      ++j;
    } else if ((text(j) == "." || text(j) == "->") && j + 1 < sig.size() &&
               kind(j + 1) == TokenKind::kIdentifier) {
      j += 2;
    } else {
      break;
    }
  }
  if (j >= sig.size() || kind(j) != TokenKind::kOperator || text(j) != "=") return std::nullopt;
  for (size_t t = k; t < j; ++t) s.target += text(t);
  s.eq = j;
  int depth = 0;
  for (++j; j < sig.size(); ++j) {
    const std::string_view t = text(j);
    if (t == "{" || t == "}") return std::nullopt;
    if (t == "(" || t == "[") {
      if (t == "(" && kind(j - 1) == TokenKind::kIdentifier) s.pure = false;  // a call
      ++depth;
    } else if (t == ")" || t == "]") {
      if (--depth < 0) return std::nullopt;
    } else if (t == ";" && depth == 0) {
      s.end = j;
      return s;
    } else if (kind(j) == TokenKind::kOperator && IsSideEffectOperator(t)) {
      s.pure = false;
    }
  }
  return std::nullopt;
}

// Number tokens of dead stores (C-family only): `x[i] = v1;` immediately
// followed, in the same block, by `x[i] = v2;` whose value neither reads `x`
// nor calls anything, where v1 has no side effect either: v1 is overwritten
// unread, so its literals cannot change what the program does. Mutation
// leaves such statements behind (duplicate_line, then an edit of the copy;
// bin_packing's clamped best fit has three), and each of their literals
// would cost the inner CMA-ES a dimension that moves nothing. A store that
// is conditional (`if (c) x = v1;`) does not start a statement and is kept.
std::set<size_t> DeadStoreNumbers(const EditContext& ctx) {
  std::set<size_t> dead;
  if (ctx.language != Language::kCFamily) return dead;
  std::vector<size_t> sig;
  for (size_t i = 0; i < ctx.tokens.size(); ++i) {
    const TokenKind k = ctx.tokens[i].kind;
    if (!mutate_internal::IsTrivia(k) && k != TokenKind::kPreprocessor) sig.push_back(i);
  }
  Store previous;
  bool have_previous = false;
  for (size_t k = 0; k < sig.size(); ++k) {
    const std::string_view before = k == 0 ? ";" : mutate_internal::TextOf(ctx, sig[k - 1]);
    if (before != ";" && before != "{" && before != "}") continue;
    std::optional<Store> store = ParseStore(ctx, sig, k);
    if (!store) {
      have_previous = false;
      continue;
    }
    if (have_previous && previous.end + 1 == k && previous.pure && store->pure &&
        previous.target == store->target) {
      bool reads = false;
      for (size_t j = store->eq + 1; j < store->end; ++j) {
        reads |= mutate_internal::TextOf(ctx, sig[j]) == store->root;
      }
      for (size_t j = previous.eq + 1; !reads && j < previous.end; ++j) {
        if (ctx.tokens[sig[j]].kind == TokenKind::kNumber) dead.insert(sig[j]);
      }
    }
    previous = std::move(*store);
    have_previous = true;
    k = previous.end;
  }
  return dead;
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
    const std::set<size_t> dead = DeadStoreNumbers(ctx);
    for (size_t i = 0; i < ctx.tokens.size(); ++i) {
      if (static_cast<int>(out.size()) >= options.max_literals) return out;
      if (!IsValueSite(ctx, i) || dead.contains(i)) continue;
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
