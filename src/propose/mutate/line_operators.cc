// DeleteLine, DuplicateLine, SwapLines: see operators.h.
#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "propose/mutate/operators.h"
#include "propose/mutate/source_model.h"

namespace crucible {
namespace {

using namespace mutate_internal;

enum class LineUse { kDelete, kDuplicate, kSwap };

template <size_t N>
bool OneOf(std::string_view word, const std::array<std::string_view, N>& words) {
  return std::find(words.begin(), words.end(), word) != words.end();
}

// Words that make a line a clause of something else (or a label): such a
// line never stands alone.
constexpr std::array<std::string_view, 8> kCNeverAlone = {
    "case", "default", "else", "template", "public", "private", "protected", "return"};
constexpr std::array<std::string_view, 6> kPythonNeverAlone = {"else",    "elif", "except",
                                                               "finally", "case", "return"};
// Jumps: duplicating or moving them is pointless or breaks flow.
constexpr std::array<std::string_view, 5> kCJumps = {"break", "continue", "goto", "throw",
                                                     "co_return"};
constexpr std::array<std::string_view, 4> kPythonJumps = {"break", "continue", "raise", "pass"};
// Words before a name that make the name a use, not a declaration.
constexpr std::array<std::string_view, 13> kCExpressionWords = {
    "return",   "delete", "goto", "throw", "case", "co_return", "co_yield",
    "co_await", "sizeof", "else", "do",    "new",  "typedef"};

size_t PrevCodeLine(const std::vector<Line>& lines, size_t idx) {
  while (idx-- > 0) {
    if (lines[idx].HasCode()) return idx;
  }
  return kNone;
}

size_t NextCodeLine(const std::vector<Line>& lines, size_t idx) {
  for (size_t k = idx + 1; k < lines.size(); ++k) {
    if (lines[k].HasCode()) return k;
  }
  return kNone;
}

bool IsStatementLine(const EditContext& ctx, const std::vector<Line>& lines, size_t idx,
                     LineUse use) {
  const Line& line = lines[idx];
  if (!line.HasCode() || line.joined || line.has_preprocessor) return false;
  if (line.depth_before != 0 || line.depth_after != 0) return false;
  if (!InEvolvable(ctx, line.begin, line.next)) return false;
  const std::string_view first = TextOf(ctx, line.first_token);
  const std::string_view last = TextOf(ctx, line.last_token);
  if (ctx.language == Language::kPython) {
    if (last == ":" || first == "@" || OneOf(first, kPythonNeverAlone)) return false;
    if (use != LineUse::kDelete && OneOf(first, kPythonJumps)) return false;
    return true;
  }
  if (last != ";" || OneOf(first, kCNeverAlone)) return false;
  if (use != LineUse::kDelete && OneOf(first, kCJumps)) return false;
  for (size_t t = line.first_token; t <= line.last_token; ++t) {
    if (TokenIs(ctx, t, TokenKind::kPunctuation, "{") ||
        TokenIs(ctx, t, TokenKind::kPunctuation, "}")) {
      return false;
    }
  }
  // The previous line must end a statement, or this line may be the body of
  // a brace-less if/for/while, or the tail of a multi-line expression.
  const size_t prev = PrevCodeLine(lines, idx);
  if (prev == kNone) return true;
  const Token& prev_last = ctx.tokens[lines[prev].last_token];
  if (prev_last.kind == TokenKind::kPreprocessor) return true;
  const std::string_view p = prev_last.Text(ctx.source);
  if (first == "while" && p == "}") return false;  // the end of a do-while
  return p == ";" || p == "{" || p == "}" || p == ":";
}

// C-family: names a line declares (`T x = ...;`, `T* x, y[3];`, `using T = U;`):
// a top-level name after a type-like token and before = ; , [ ( { or :.
std::vector<std::string_view> DeclaredNames(const EditContext& ctx, const Line& line) {
  std::vector<std::string_view> names;
  if (ctx.language == Language::kPython) return names;
  int depth = 0;
  size_t prev = kNone;
  for (size_t t = line.first_token; t <= line.last_token; ++t) {
    const Token& tok = ctx.tokens[t];
    if (IsTrivia(tok.kind)) continue;
    const std::string_view text = tok.Text(ctx.source);
    if (tok.kind == TokenKind::kPunctuation && (text == "(" || text == "[" || text == "{")) ++depth;
    if (tok.kind == TokenKind::kPunctuation && (text == ")" || text == "]" || text == "}")) --depth;
    if (depth == 0 && tok.kind == TokenKind::kIdentifier && prev != kNone) {
      const size_t next = NextSignificant(ctx, t);
      const std::string_view p = TextOf(ctx, prev);
      const TokenKind pk = ctx.tokens[prev].kind;
      const bool after_type =
          (pk == TokenKind::kIdentifier && !OneOf(p, kCExpressionWords)) ||
          (pk == TokenKind::kOperator && (p == "*" || p == "&" || p == "&&" || p == ">")) ||
          (!names.empty() && p == ",");
      const std::string_view n = next == kNone ? "" : TextOf(ctx, next);
      const bool before_init =
          n == "=" || n == ";" || n == "," || n == "[" || n == "(" || n == "{" || n == ":";
      if (after_type && before_init) names.push_back(text);
    }
    prev = t;
  }
  return names;
}

bool UsesAny(const EditContext& ctx, size_t from_token, size_t to_token,
             const std::vector<std::string_view>& names) {
  for (size_t t = from_token; t < to_token && t < ctx.tokens.size(); ++t) {
    if (ctx.tokens[t].kind != TokenKind::kIdentifier) continue;
    if (std::find(names.begin(), names.end(), TextOf(ctx, t)) != names.end()) return true;
  }
  return false;
}

// The line's text without its indentation.
std::string Stripped(const EditContext& ctx, const Line& line) {
  return std::string(line.Content(ctx.source).substr(line.indent));
}

// Python: deleting the only statement of a block leaves it empty; `pass`
// must take its place.
bool IsOnlyStatementOfBlock(const EditContext& ctx, const std::vector<Line>& lines, size_t idx) {
  const size_t prev = PrevCodeLine(lines, idx);
  if (prev == kNone || !TokenIs(ctx, lines[prev].last_token, TokenKind::kOperator, ":")) {
    return false;
  }
  const size_t next = NextCodeLine(lines, idx);
  return next == kNone || lines[next].indent <= lines[prev].indent;
}

}  // namespace

std::optional<Edit> DeleteLine(const EditContext& ctx, Rng& rng) {
  const std::vector<Line> lines = AnalyzeLines(ctx);
  std::vector<size_t> sites;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (IsStatementLine(ctx, lines, i, LineUse::kDelete)) sites.push_back(i);
  }
  for (size_t k : Shuffled(sites.size(), rng)) {
    const Line& line = lines[sites[k]];
    const std::vector<std::string_view> declared = DeclaredNames(ctx, line);
    if (!declared.empty() && UsesAny(ctx, line.last_token + 1, ctx.tokens.size(), declared)) {
      continue;
    }
    std::string from = Stripped(ctx, line);
    const int line_number = LineNumberAt(ctx.source, line.begin);
    if (ctx.language == Language::kPython && IsOnlyStatementOfBlock(ctx, lines, sites[k])) {
      if (from == "pass") continue;
      std::string replacement(line.Content(ctx.source).substr(0, line.indent));
      replacement += "pass";
      return MakeEdit(Splice(ctx.source, line.begin, line.end, replacement), line_number,
                      std::move(from), "pass");
    }
    return MakeEdit(Splice(ctx.source, line.begin, line.next, ""), line_number, std::move(from),
                    "");
  }
  return std::nullopt;
}

std::optional<Edit> DuplicateLine(const EditContext& ctx, Rng& rng) {
  const std::vector<Line> lines = AnalyzeLines(ctx);
  std::vector<size_t> sites;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (IsStatementLine(ctx, lines, i, LineUse::kDuplicate) &&
        DeclaredNames(ctx, lines[i]).empty()) {
      sites.push_back(i);
    }
  }
  if (sites.empty()) return std::nullopt;
  const Line& line = lines[sites[rng.Uniform(sites.size())]];
  const std::string_view content = line.Content(ctx.source);
  std::string_view line_break = ctx.source.substr(line.end, line.next - line.end);
  std::string child;
  if (line_break.empty()) {  // the last line of a file without a final newline
    child = Splice(ctx.source, line.end, line.end, "\n" + std::string(content));
  } else {
    child =
        Splice(ctx.source, line.next, line.next, std::string(content) + std::string(line_break));
  }
  std::string text = Stripped(ctx, line);
  return MakeEdit(std::move(child), LineNumberAt(ctx.source, line.begin), text, text);
}

std::optional<Edit> SwapLines(const EditContext& ctx, Rng& rng) {
  const std::vector<Line> lines = AnalyzeLines(ctx);
  std::vector<size_t> sites;  // the first line of each swappable pair
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    const Line& a = lines[i];
    const Line& b = lines[i + 1];
    if (!IsStatementLine(ctx, lines, i, LineUse::kSwap) ||
        !IsStatementLine(ctx, lines, i + 1, LineUse::kSwap)) {
      continue;
    }
    const std::string_view ca = a.Content(ctx.source);
    const std::string_view cb = b.Content(ctx.source);
    if (ca == cb || ca.substr(0, a.indent) != cb.substr(0, b.indent)) continue;
    if (UsesAny(ctx, b.first_token, b.last_token + 1, DeclaredNames(ctx, a)) ||
        UsesAny(ctx, a.first_token, a.last_token + 1, DeclaredNames(ctx, b))) {
      continue;
    }
    sites.push_back(i);
  }
  if (sites.empty()) return std::nullopt;
  const size_t i = sites[rng.Uniform(sites.size())];
  const Line& a = lines[i];
  const Line& b = lines[i + 1];
  std::string swapped(b.Content(ctx.source));
  swapped += ctx.source.substr(a.end, b.begin - a.end);  // a's line break
  swapped += a.Content(ctx.source);
  return MakeEdit(Splice(ctx.source, a.begin, b.end, swapped), LineNumberAt(ctx.source, a.begin),
                  Stripped(ctx, a), Stripped(ctx, b));
}

}  // namespace crucible
