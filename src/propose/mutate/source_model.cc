#include "propose/mutate/source_model.h"

#include <algorithm>
#include <array>
#include <utility>

namespace crucible {

StatusOr<EditContext> MakeEditContext(std::string_view source, std::string_view path) {
  EditContext ctx;
  ctx.source = source;
  ctx.path = path;
  ctx.language = LanguageForPath(path);
  ASSIGN_OR_RETURN(ctx.regions, ParseRegions(source, path));
  ctx.tokens = Tokenize(source, ctx.language);
  return ctx;
}

namespace mutate_internal {
namespace {

template <size_t N>
bool OneOf(std::string_view word, const std::array<std::string_view, N>& words) {
  return std::find(words.begin(), words.end(), word) != words.end();
}

constexpr std::array<std::string_view, 22> kCNonOperandWords = {
    "return", "case",   "sizeof",   "throw",    "co_return", "co_yield", "co_await", "delete",
    "new",    "else",   "do",       "operator", "typename",  "template", "goto",     "alignof",
    "const",  "static", "volatile", "var",      "let",       "constexpr"};

constexpr std::array<std::string_view, 30> kPythonNonOperandWords = {
    "return", "and",    "or",       "not",   "in",     "is",  "if",     "elif",   "else",  "while",
    "for",    "lambda", "yield",    "await", "assert", "del", "import", "from",   "as",    "with",
    "raise",  "global", "nonlocal", "pass",  "async",  "def", "class",  "except", "match", "case"};

constexpr std::array<std::string_view, 27> kCTypeWords = {
    "int",     "char",     "float",    "double",   "void",     "bool",     "auto",
    "long",    "short",    "unsigned", "signed",   "size_t",   "int8_t",   "int16_t",
    "int32_t", "int64_t",  "uint8_t",  "uint16_t", "uint32_t", "uint64_t", "ptrdiff_t",
    "char8_t", "char16_t", "char32_t", "wchar_t",  "struct",   "enum"};

}  // namespace

bool IsTrivia(TokenKind kind) {
  return kind == TokenKind::kWhitespace || kind == TokenKind::kNewline ||
         kind == TokenKind::kComment;
}

bool InEvolvable(const EditContext& ctx, size_t begin, size_t end) {
  for (const Region& r : ctx.regions) {
    if (r.evolvable && r.begin <= begin && end <= r.end) return true;
  }
  return false;
}

bool TokenInEvolvable(const EditContext& ctx, size_t token) {
  const Token& t = ctx.tokens[token];
  return InEvolvable(ctx, t.begin, t.begin + t.length);
}

int LineNumberAt(std::string_view source, size_t offset) {
  offset = std::min(offset, source.size());
  return 1 + static_cast<int>(std::count(source.begin(), source.begin() + offset, '\n'));
}

std::string_view TextOf(const EditContext& ctx, size_t token) {
  return ctx.tokens[token].Text(ctx.source);
}

bool TokenIs(const EditContext& ctx, size_t token, TokenKind kind, std::string_view text) {
  return token != kNone && ctx.tokens[token].kind == kind && TextOf(ctx, token) == text;
}

size_t PrevSignificant(const EditContext& ctx, size_t token) {
  for (size_t i = token; i-- > 0;) {
    const TokenKind k = ctx.tokens[i].kind;
    if (k == TokenKind::kNewline && ctx.language == Language::kPython) return kNone;
    if (!IsTrivia(k)) return i;
  }
  return kNone;
}

size_t NextSignificant(const EditContext& ctx, size_t token) {
  for (size_t i = token + 1; i < ctx.tokens.size(); ++i) {
    const TokenKind k = ctx.tokens[i].kind;
    if (k == TokenKind::kNewline && ctx.language == Language::kPython) return kNone;
    if (!IsTrivia(k)) return i;
  }
  return kNone;
}

bool IsNonOperandWord(Language language, std::string_view word) {
  if (language == Language::kPython) return OneOf(word, kPythonNonOperandWords);
  return OneOf(word, kCNonOperandWords) || IsCTypeWord(word);
}

bool IsCTypeWord(std::string_view word) { return OneOf(word, kCTypeWords); }

bool IsOperandEnd(const EditContext& ctx, size_t token) {
  if (token == kNone) return false;
  const Token& t = ctx.tokens[token];
  const std::string_view text = t.Text(ctx.source);
  switch (t.kind) {
    case TokenKind::kIdentifier:
      return !IsNonOperandWord(ctx.language, text);
    case TokenKind::kNumber:
    case TokenKind::kString:
      return true;
    case TokenKind::kPunctuation:
      return text == ")" || text == "]";
    default:
      return false;
  }
}

bool IsOperandStart(const EditContext& ctx, size_t token) {
  if (token == kNone) return false;
  const Token& t = ctx.tokens[token];
  const std::string_view text = t.Text(ctx.source);
  switch (t.kind) {
    case TokenKind::kIdentifier:
      // `not x` is an operand in Python; other keywords (if, for, ...) are not.
      return !IsNonOperandWord(ctx.language, text) ||
             (ctx.language == Language::kPython && (text == "not" || text == "lambda"));
    case TokenKind::kNumber:
    case TokenKind::kString:
      return true;
    case TokenKind::kPunctuation:
      return text == "(" || (ctx.language == Language::kPython && (text == "[" || text == "{"));
    case TokenKind::kOperator:
      return text == "-" || text == "+" || text == "~" ||
             (ctx.language == Language::kCFamily && text == "!");
    default:
      return false;
  }
}

std::vector<std::string> StringAndCommentTexts(std::string_view source, Language language) {
  std::vector<std::string> out;
  for (const Token& t : Tokenize(source, language)) {
    if (t.kind == TokenKind::kString || t.kind == TokenKind::kComment) {
      out.emplace_back(t.Text(source));
    }
  }
  return out;
}

bool EditLexesCleanly(const EditContext& ctx, std::string_view child, size_t pos, TokenKind kind,
                      std::string_view text) {
  const std::vector<Token> tokens = Tokenize(child, ctx.language);
  bool found = false;
  std::vector<std::string_view> child_texts;
  for (const Token& t : tokens) {
    if (t.begin == pos) found = t.kind == kind && t.Text(child) == text;
    if (t.kind == TokenKind::kString || t.kind == TokenKind::kComment) {
      child_texts.push_back(t.Text(child));
    }
  }
  if (!found) return false;
  size_t k = 0;
  for (const Token& t : ctx.tokens) {
    if (t.kind != TokenKind::kString && t.kind != TokenKind::kComment) continue;
    if (k >= child_texts.size() || child_texts[k] != t.Text(ctx.source)) return false;
    ++k;
  }
  return k == child_texts.size();
}

Edit MakeEdit(std::string source, int line, std::string from, std::string to) {
  Edit edit;
  edit.source = std::move(source);
  edit.line = line;
  edit.from = std::move(from);
  edit.to = std::move(to);
  return edit;
}

std::vector<size_t> Shuffled(size_t n, Rng& rng) {
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  for (size_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng.Uniform(i)]);
  return order;
}

std::string Splice(std::string_view s, size_t begin, size_t end, std::string_view text) {
  std::string out;
  out.reserve(s.size() - (end - begin) + text.size());
  out.append(s.substr(0, begin));
  out.append(text);
  out.append(s.substr(end));
  return out;
}

std::vector<Line> AnalyzeLines(const EditContext& ctx) {
  const std::string_view s = ctx.source;
  std::vector<Line> lines;
  for (size_t pos = 0; pos < s.size();) {
    Line line;
    line.begin = pos;
    const size_t nl = s.find('\n', pos);
    line.next = nl == std::string_view::npos ? s.size() : nl + 1;
    line.end = nl == std::string_view::npos ? s.size() : nl;
    if (line.end > line.begin && s[line.end - 1] == '\r') --line.end;
    while (line.begin + line.indent < line.end &&
           (s[line.begin + line.indent] == ' ' || s[line.begin + line.indent] == '\t')) {
      ++line.indent;
    }
    lines.push_back(line);
    pos = line.next;
  }

  // Walk the tokens once, line by line, tracking bracket depth.
  const bool python = ctx.language == Language::kPython;
  int depth = 0;
  int braces = 0;
  size_t li = 0;
  auto advance_to = [&](size_t offset) {
    while (li + 1 < lines.size() && lines[li].next <= offset) {
      lines[li].depth_after = depth;
      ++li;
      lines[li].depth_before = depth;
      lines[li].brace_depth = braces;
    }
  };
  for (size_t i = 0; i < ctx.tokens.size(); ++i) {
    const Token& t = ctx.tokens[i];
    advance_to(t.begin);
    if (lines.empty()) break;
    const size_t end = t.begin + t.length;
    if (t.kind != TokenKind::kNewline && end > lines[li].next) {
      // A multi-line string, comment or preprocessor line: every line it
      // touches is joined to its neighbours.
      for (size_t k = li; k < lines.size() && lines[k].begin < end; ++k) lines[k].joined = true;
    }
    if (t.kind == TokenKind::kOther && t.Text(s) == "\\") {
      const size_t next = i + 1 < ctx.tokens.size() ? i + 1 : kNone;
      if (next != kNone && ctx.tokens[next].kind == TokenKind::kNewline) {
        lines[li].joined = true;
        if (li + 1 < lines.size()) lines[li + 1].joined = true;
      }
    }
    if (t.kind == TokenKind::kPreprocessor) lines[li].has_preprocessor = true;
    if (IsTrivia(t.kind)) continue;
    if (lines[li].first_token == kNone) lines[li].first_token = i;
    lines[li].last_token = i;
    if (t.kind == TokenKind::kPunctuation) {
      const char c = s[t.begin];
      if (c == '(' || c == '[' || (python && c == '{')) ++depth;
      if (c == ')' || c == ']' || (python && c == '}')) --depth;
      if (!python && c == '{') ++braces;
      if (!python && c == '}') --braces;
    }
  }
  advance_to(s.size());
  if (!lines.empty()) lines[li].depth_after = depth;
  return lines;
}

// The start value of a C-family for loop, `for (int i = 0; ...)`: an index
// origin, not a tunable constant (moving it only skips or overruns elements).
// Its bound and step stay perturbable (iteration counts often are tunable).
bool IsLoopStart(const EditContext& ctx, size_t number) {
  if (ctx.language == Language::kPython) return false;
  size_t i = PrevSignificant(ctx, number);
  if (i == kNone || !TokenIs(ctx, i, TokenKind::kOperator, "=")) return false;
  for (int steps = 0; steps < 12; ++steps) {
    i = PrevSignificant(ctx, i);
    if (i == kNone) return false;
    const std::string_view text = TextOf(ctx, i);
    if (text == ";" || text == "{" || text == "}" || text == ")") return false;
    if (text == "(") {
      const size_t keyword = PrevSignificant(ctx, i);
      return keyword != kNone && TokenIs(ctx, keyword, TokenKind::kIdentifier, "for");
    }
  }
  return false;
}

}  // namespace mutate_internal
}  // namespace crucible
