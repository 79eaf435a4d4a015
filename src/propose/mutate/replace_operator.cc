// ReplaceOperator: see operators.h.
#include <algorithm>
#include <string>
#include <vector>

#include "propose/mutate/operators.h"
#include "propose/mutate/source_model.h"

namespace crucible {
namespace {

using namespace mutate_internal;

enum class OpClass { kArithmetic, kComparison, kLogical, kAssignment };

struct ClassMembers {
  OpClass op_class;
  std::vector<std::string_view> members;
};

const std::vector<ClassMembers>& Classes(Language language) {
  static const std::vector<ClassMembers> kC = {
      {OpClass::kArithmetic, {"+", "-", "*", "/", "%"}},
      {OpClass::kComparison, {"<", "<=", ">", ">=", "==", "!="}},
      {OpClass::kLogical, {"&&", "||"}},
      {OpClass::kAssignment, {"+=", "-=", "*=", "/="}},
  };
  static const std::vector<ClassMembers> kPython = {
      {OpClass::kArithmetic, {"+", "-", "*", "/", "//", "%", "**"}},
      {OpClass::kComparison, {"<", "<=", ">", ">=", "==", "!="}},
      {OpClass::kLogical, {"and", "or"}},
      {OpClass::kAssignment, {"+=", "-=", "*=", "/="}},
  };
  return language == Language::kPython ? kPython : kC;
}

const ClassMembers* ClassOf(const EditContext& ctx, size_t i) {
  const Token& t = ctx.tokens[i];
  const bool python = ctx.language == Language::kPython;
  const bool word = t.kind == TokenKind::kIdentifier;
  if (t.kind != TokenKind::kOperator && !(python && word)) return nullptr;
  const std::string_view text = t.Text(ctx.source);
  for (const ClassMembers& c : Classes(ctx.language)) {
    // Python's logical operators are words; everything else is punctuation.
    if (word != (python && c.op_class == OpClass::kLogical)) continue;
    if (std::find(c.members.begin(), c.members.end(), text) != c.members.end()) return &c;
  }
  return nullptr;
}

bool IsBlankAt(std::string_view s, size_t pos) {
  return pos < s.size() && (s[pos] == ' ' || s[pos] == '\t' || s[pos] == '\n' || s[pos] == '\r');
}

// In C-family, `T * x` and `T&& x` at the start of a declaration look like
// binary expressions. `left` is the token before the operator; true when it
// may be a type name opening a declaration (so the site must be skipped).
bool MayBeDeclarationType(const EditContext& ctx, size_t left) {
  if (ctx.tokens[left].kind != TokenKind::kIdentifier) return false;
  if (IsCTypeWord(TextOf(ctx, left))) return true;
  // Walk back over a qualified name: a::b::c.
  size_t first = left;
  while (true) {
    const size_t sep = PrevSignificant(ctx, first);
    if (!TokenIs(ctx, sep, TokenKind::kOperator, "::")) break;
    const size_t id = PrevSignificant(ctx, sep);
    if (id == kNone || ctx.tokens[id].kind != TokenKind::kIdentifier) return true;
    first = id;
  }
  const size_t before = PrevSignificant(ctx, first);
  if (before == kNone) return true;
  const std::string_view text = TextOf(ctx, before);
  switch (ctx.tokens[before].kind) {
    case TokenKind::kPunctuation:
      if (text == ";" || text == "{" || text == "}" || text == ",") return true;
      if (text == "(") {
        // `if (a * b)` is an expression; `f(T * p)` may declare a parameter.
        const size_t callee = PrevSignificant(ctx, before);
        if (callee == kNone) return false;
        const std::string_view c = TextOf(ctx, callee);
        if (ctx.tokens[callee].kind == TokenKind::kIdentifier) {
          return c != "if" && c != "while" && c != "for" && c != "switch" && c != "return";
        }
        return TokenIs(ctx, callee, TokenKind::kOperator, ">");
      }
      return false;
    case TokenKind::kIdentifier:
      // Two names in a row (`const T * p`, `struct S * p`) only in declarations;
      // after an expression keyword it is an expression.
      return text != "return" && text != "case" && text != "throw" && text != "co_return" &&
             text != "co_yield" && text != "else" && text != "do";
    case TokenKind::kOperator:
      return text == "<";  // template argument: f<T * ...>
    case TokenKind::kPreprocessor:
      return true;
    default:
      return false;
  }
}

bool IsReplaceableSite(const EditContext& ctx, size_t i, const ClassMembers& c) {
  const size_t prev = PrevSignificant(ctx, i);
  const size_t next = NextSignificant(ctx, i);
  if (!IsOperandEnd(ctx, prev)) return false;
  if (c.op_class == OpClass::kAssignment) return next != kNone;
  if (!IsOperandStart(ctx, next)) return false;
  if (ctx.language == Language::kPython) return true;
  const std::string_view text = TextOf(ctx, i);
  const Token& t = ctx.tokens[i];
  if (text == "<" || text == ">") {
    // Comparisons are usually spaced; template brackets usually are not.
    return t.begin > 0 && IsBlankAt(ctx.source, t.begin - 1) &&
           IsBlankAt(ctx.source, t.begin + t.length);
  }
  if (text == "*" || text == "&&") return !MayBeDeclarationType(ctx, prev);
  return true;
}

}  // namespace

std::optional<Edit> ReplaceOperator(const EditContext& ctx, Rng& rng) {
  std::vector<size_t> sites;
  for (size_t i = 0; i < ctx.tokens.size(); ++i) {
    const ClassMembers* c = ClassOf(ctx, i);
    if (c != nullptr && TokenInEvolvable(ctx, i) && IsReplaceableSite(ctx, i, *c)) {
      sites.push_back(i);
    }
  }
  for (size_t k : Shuffled(sites.size(), rng)) {
    const size_t i = sites[k];
    const Token& t = ctx.tokens[i];
    const std::string_view from = TextOf(ctx, i);
    std::vector<std::string_view> others;
    for (std::string_view m : ClassOf(ctx, i)->members) {
      // C's % takes integers only; most evolved code computes in floating
      // point, so % is replaced but never introduced.
      if (m == "%" && ctx.language == Language::kCFamily) continue;
      if (m != from) others.push_back(m);
    }
    const std::string_view to = others[rng.Uniform(others.size())];
    std::string child = Splice(ctx.source, t.begin, t.begin + t.length, to);
    if (!EditLexesCleanly(ctx, child, t.begin, t.kind, to)) continue;
    return MakeEdit(std::move(child), LineNumberAt(ctx.source, t.begin), std::string(from),
                    std::string(to));
  }
  return std::nullopt;
}

}  // namespace crucible
