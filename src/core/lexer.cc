#include "core/lexer.h"

#include <algorithm>
#include <span>
#include <string>

namespace crucible {
namespace {

// Every scanning function below takes the position of a token's first byte and
// returns the position one past its last byte, never beyond the input and
// always at least one byte further: that is what makes the lexer lossless and
// total on arbitrary bytes.

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsAlnum(char c) { return IsDigit(c) || IsAlpha(c); }
bool IsHexDigit(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
// Bytes >= 0x80 are taken as parts of (UTF-8) identifiers.
bool IsIdentStart(char c, Language lang) {
  return IsAlpha(c) || c == '_' || static_cast<unsigned char>(c) >= 0x80 ||
         (lang == Language::kCFamily && c == '$');
}
bool IsIdentContinue(char c, Language lang) { return IsIdentStart(c, lang) || IsDigit(c); }
bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f'; }

class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s), n_(s.size()) {}

  char At(size_t i) const { return i < n_ ? s_[i] : '\0'; }
  bool StartsWith(size_t i, std::string_view prefix) const {
    return s_.substr(std::min(i, n_)).starts_with(prefix);
  }
  size_t size() const { return n_; }

  // A line break at i: 2 for "\r\n", 1 for "\n", 0 otherwise.
  size_t NewlineLength(size_t i) const {
    if (At(i) == '\n') return 1;
    if (At(i) == '\r' && At(i + 1) == '\n') return 2;
    return 0;
  }

  size_t ScanBlanks(size_t i) const {
    while (i < n_ && (IsBlank(s_[i]) || (s_[i] == '\r' && NewlineLength(i) == 0))) ++i;
    return i;
  }

  // Layout, the same in every language: a line break or a run of blanks at
  // i sets `kind` and returns its end; anything else returns i.
  size_t ScanLayout(size_t i, TokenKind& kind) const {
    if (const size_t nl = NewlineLength(i); nl != 0) {
      kind = TokenKind::kNewline;
      return i + nl;
    }
    if (IsBlank(At(i)) || At(i) == '\r') {
      kind = TokenKind::kWhitespace;
      return ScanBlanks(i);
    }
    return i;
  }

  // Up to (not including) the next line break.
  size_t ScanToLineEnd(size_t i) const {
    while (i < n_ && NewlineLength(i) == 0) ++i;
    return i;
  }

  size_t ScanIdentifier(size_t i, Language lang) const {
    ++i;
    while (i < n_ && IsIdentContinue(s_[i], lang)) ++i;
    return i;
  }

  // A quoted literal whose opening quote is at `i`: ends after the closing
  // `quote` (a backslash escapes the next byte), or at the end of the input.
  size_t ScanQuoted(size_t i, char quote) const {
    ++i;
    while (i < n_) {
      if (s_[i] == '\\') {
        ++i;
        if (i < n_) i += std::max<size_t>(NewlineLength(i), 1);
        continue;
      }
      if (s_[i++] == quote) return i;
    }
    return n_;
  }

  // A quoted literal that must close on its line; 0 if it does not.
  size_t ScanQuotedOnLine(size_t i, char quote) const {
    ++i;
    while (i < n_ && NewlineLength(i) == 0) {
      if (s_[i] == '\\') {
        if (NewlineLength(i + 1) != 0) return 0;
        i += 2;
        continue;
      }
      if (s_[i++] == quote) return i;
    }
    return 0;
  }

  // Longest operator from `ops` (sorted longest first) at i; 0 if none.
  size_t MatchOperator(size_t i, std::span<const std::string_view> ops) const {
    for (std::string_view op : ops) {
      if (StartsWith(i, op)) return op.size();
    }
    return 0;
  }

  // What is left once a language's own tokens are tried: an operator of
  // `ops` (longest first) or of `singles`, punctuation, or one byte of
  // kOther. Sets `kind` and returns the end.
  size_t ScanSymbol(size_t i, std::span<const std::string_view> ops, std::string_view singles,
                    TokenKind& kind) const {
    if (const size_t len = MatchOperator(i, ops); len != 0) {
      kind = TokenKind::kOperator;
      return i + len;
    }
    const char c = At(i);
    if (singles.find(c) != std::string_view::npos) {
      kind = TokenKind::kOperator;
    } else if (std::string_view("()[]{},;.").find(c) != std::string_view::npos) {
      kind = TokenKind::kPunctuation;
    } else {
      kind = TokenKind::kOther;
    }
    return i + 1;
  }

 private:
  std::string_view s_;
  size_t n_;
};

// ---------------------------------------------------------------- C-family

// Longest first, so that the first match is the longest one.
// JavaScript's ===, !==, >>>, =>, Go's :=, Rust's .. and ..= are included as
// they never occur in valid C or C++.
constexpr std::string_view kCOperators[] = {
    ">>>=", "<<=", ">>=", "<=>", "->*", "...", "===", "!==", ">>>", "..=", "->", "::",
    "++",   "--",  "&&",  "||",  "==",  "!=",  "<=",  ">=",  "+=",  "-=",  "*=", "/=",
    "%=",   "&=",  "|=",  "^=",  "<<",  ">>",  ".*",  "=>",  ":=",  ".."};
constexpr std::string_view kCSingleOperators = "+-*/%=<>!&|^~?:";

// A C++ raw string R"delim( ... )delim" whose `"` is at `quote`; 0 when the
// text after the quote is not a valid raw-string opening (then the prefix is
// an ordinary identifier).
size_t ScanRawString(std::string_view s, size_t quote) {
  size_t open = quote + 1;
  while (open < s.size() && open - quote - 1 <= 16) {
    const char c = s[open];
    if (c == '(') break;
    if (c == ')' || c == '\\' || c == '"' || IsBlank(c) || c == '\n' || c == '\r') return 0;
    ++open;
  }
  if (open >= s.size() || s[open] != '(' || open - quote - 1 > 16) return 0;
  std::string closing = ")";
  closing += s.substr(quote + 1, open - quote - 1);
  closing += '"';
  const size_t end = s.find(closing, open + 1);
  return end == std::string_view::npos ? s.size() : end + closing.size();
}

bool IsCEncodingPrefix(std::string_view id) {
  return id == "u8" || id == "L" || id == "u" || id == "U";
}
bool IsCRawPrefix(std::string_view id) {
  return id == "R" || id == "u8R" || id == "LR" || id == "uR" || id == "UR";
}

// A C-family number starting at i (a digit, or '.' before a digit): a
// preprocessing number, restricted so that an exponent sign follows e/E in
// decimal and p/P in hex, a '.' is taken once and never as part of "..", and
// a digit separator ' sits between two alphanumerics.
size_t ScanCNumber(const Scanner& sc, size_t i) {
  const bool hex = sc.At(i) == '0' && (sc.At(i + 1) == 'x' || sc.At(i + 1) == 'X');
  bool seen_dot = false;
  bool seen_exponent = false;
  const size_t n = sc.size();
  while (i < n) {
    const char c = sc.At(i);
    if (c == '.') {
      if (seen_dot || seen_exponent || sc.At(i + 1) == '.') break;
      seen_dot = true;
      ++i;
    } else if (IsAlnum(c) || c == '_') {
      if (hex ? (c == 'p' || c == 'P') : (c == 'e' || c == 'E')) seen_exponent = true;
      ++i;
    } else if (c == '\'' && i > 0 && IsAlnum(sc.At(i - 1)) && IsAlnum(sc.At(i + 1))) {
      i += 2;
    } else if ((c == '+' || c == '-') && i > 0 &&
               (hex ? (sc.At(i - 1) == 'p' || sc.At(i - 1) == 'P')
                    : (sc.At(i - 1) == 'e' || sc.At(i - 1) == 'E'))) {
      ++i;
    } else {
      break;
    }
  }
  return i;
}

// A preprocessor line from '#' to the end of its line, following
// backslash-newline continuations.
size_t ScanPreprocessor(const Scanner& sc, size_t i) {
  while (true) {
    const size_t end = sc.ScanToLineEnd(i);
    // A continuation: the last byte before the line break is a backslash.
    if (end < sc.size() && end > i && sc.At(end - 1) == '\\') {
      i = end + sc.NewlineLength(end);
      continue;
    }
    return end;
  }
}

std::vector<Token> TokenizeC(std::string_view s) {
  Scanner sc(s);
  std::vector<Token> tokens;
  size_t i = 0;
  bool line_blank_so_far = true;  // only blanks since the last line break
  const size_t n = s.size();
  while (i < n) {
    const char c = s[i];
    const size_t begin = i;
    TokenKind kind = TokenKind::kOther;
    if (const size_t end = sc.ScanLayout(i, kind); end != i) {
      i = end;
    } else if (c == '#' && line_blank_so_far) {
      kind = TokenKind::kPreprocessor;
      i = ScanPreprocessor(sc, i);
    } else if (c == '/' && sc.At(i + 1) == '/') {
      kind = TokenKind::kComment;
      i = sc.ScanToLineEnd(i);
    } else if (c == '/' && sc.At(i + 1) == '*') {
      kind = TokenKind::kComment;
      const size_t close = s.find("*/", i + 2);
      i = close == std::string_view::npos ? n : close + 2;
    } else if (IsDigit(c) || (c == '.' && IsDigit(sc.At(i + 1)))) {
      kind = TokenKind::kNumber;
      i = ScanCNumber(sc, i);
    } else if (IsIdentStart(c, Language::kCFamily)) {
      kind = TokenKind::kIdentifier;
      i = sc.ScanIdentifier(i, Language::kCFamily);
      const std::string_view id = s.substr(begin, i - begin);
      if (sc.At(i) == '"' && IsCRawPrefix(id)) {
        if (const size_t end = ScanRawString(s, i); end != 0) {
          kind = TokenKind::kString;
          i = end;
        }
      } else if (sc.At(i) == '"' && IsCEncodingPrefix(id)) {
        kind = TokenKind::kString;
        i = sc.ScanQuoted(i, '"');
      } else if (sc.At(i) == '\'' && IsCEncodingPrefix(id)) {
        if (const size_t end = sc.ScanQuotedOnLine(i, '\''); end != 0) {
          kind = TokenKind::kString;
          i = end;
        }
      }
    } else if (c == '"' || c == '`') {
      // Backquotes: Go raw strings and JavaScript template literals.
      kind = TokenKind::kString;
      i = sc.ScanQuoted(i, c);
    } else if (c == '\'') {
      // A character literal closes on its line; a lone quote (a Rust lifetime,
      // or malformed code) is a single byte of its own.
      const size_t end = sc.ScanQuotedOnLine(i, '\'');
      kind = end != 0 ? TokenKind::kString : TokenKind::kOther;
      i = end != 0 ? end : i + 1;
    } else {
      i = sc.ScanSymbol(i, kCOperators, kCSingleOperators, kind);
    }
    if (kind == TokenKind::kNewline) {
      line_blank_so_far = true;
    } else if (kind != TokenKind::kWhitespace) {
      line_blank_so_far = false;
    }
    tokens.push_back({kind, begin, i - begin});
  }
  return tokens;
}

// ---------------------------------------------------------------- Python

constexpr std::string_view kPyOperators[] = {"**=", "//=", ">>=", "<<=", "...", "->", ":=", "**",
                                             "//",  "==",  "!=",  "<=",  ">=",  "<<", ">>", "+=",
                                             "-=",  "*=",  "/=",  "%=",  "&=",  "|=", "^=", "@="};
constexpr std::string_view kPySingleOperators = "+-*/%@&|^~<>=!:";

// String prefixes: any case of r, b, u, f, t and the raw combinations.
bool IsPyStringPrefix(std::string_view id) {
  if (id.empty() || id.size() > 2) return false;
  std::string lower;
  for (char c : id) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return lower == "r" || lower == "b" || lower == "u" || lower == "f" || lower == "t" ||
         lower == "rb" || lower == "br" || lower == "fr" || lower == "rf" || lower == "tr" ||
         lower == "rt";
}

// A Python string whose opening quote is at i. A backslash always escapes the
// next byte for termination purposes (as in Python, even in raw strings).
size_t ScanPyString(const Scanner& sc, size_t i) {
  const char q = sc.At(i);
  const bool triple = sc.At(i + 1) == q && sc.At(i + 2) == q;
  if (!triple) return sc.ScanQuoted(i, q);
  const std::string closing(3, q);
  i += 3;
  while (i < sc.size()) {
    if (sc.At(i) == '\\') {
      i += 2;
      continue;
    }
    if (sc.StartsWith(i, closing)) return i + 3;
    ++i;
  }
  return sc.size();
}

bool IsPyDigitOrSep(char c, bool hex) { return (hex ? IsHexDigit(c) : IsDigit(c)) || c == '_'; }

// A Python number at i (a digit, or '.' before a digit): 0x/0o/0b integers,
// decimals with '_' separators, fraction, exponent, and a j/J (or Python 2 L)
// suffix.
size_t ScanPyNumber(const Scanner& sc, size_t i) {
  const char c1 = sc.At(i + 1);
  if (sc.At(i) == '0' &&
      (c1 == 'x' || c1 == 'X' || c1 == 'o' || c1 == 'O' || c1 == 'b' || c1 == 'B')) {
    const bool hex = c1 == 'x' || c1 == 'X';
    i += 2;
    while (IsPyDigitOrSep(sc.At(i), hex)) ++i;
    if (sc.At(i) == 'l' || sc.At(i) == 'L') ++i;
    return i;
  }
  while (IsPyDigitOrSep(sc.At(i), false)) ++i;
  if (sc.At(i) == '.' && sc.At(i + 1) != '.') {
    ++i;
    while (IsPyDigitOrSep(sc.At(i), false)) ++i;
  }
  if ((sc.At(i) == 'e' || sc.At(i) == 'E') &&
      (IsDigit(sc.At(i + 1)) ||
       ((sc.At(i + 1) == '+' || sc.At(i + 1) == '-') && IsDigit(sc.At(i + 2))))) {
    i += 2;
    while (IsPyDigitOrSep(sc.At(i), false)) ++i;
  }
  if (const char s = sc.At(i); s == 'j' || s == 'J' || s == 'l' || s == 'L') ++i;
  return i;
}

std::vector<Token> TokenizePython(std::string_view s) {
  Scanner sc(s);
  std::vector<Token> tokens;
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    const char c = s[i];
    const size_t begin = i;
    TokenKind kind = TokenKind::kOther;
    if (const size_t end = sc.ScanLayout(i, kind); end != i) {
      i = end;
    } else if (c == '#') {
      kind = TokenKind::kComment;
      i = sc.ScanToLineEnd(i);
    } else if (IsDigit(c) || (c == '.' && IsDigit(sc.At(i + 1)))) {
      kind = TokenKind::kNumber;
      i = ScanPyNumber(sc, i);
    } else if (IsIdentStart(c, Language::kPython)) {
      kind = TokenKind::kIdentifier;
      i = sc.ScanIdentifier(i, Language::kPython);
      if ((sc.At(i) == '"' || sc.At(i) == '\'') && IsPyStringPrefix(s.substr(begin, i - begin))) {
        kind = TokenKind::kString;
        i = ScanPyString(sc, i);
      }
    } else if (c == '"' || c == '\'') {
      kind = TokenKind::kString;
      i = ScanPyString(sc, i);
    } else {
      // kOther among them: '\\' line continuations, '$', '?', '`', stray bytes.
      i = sc.ScanSymbol(i, kPyOperators, kPySingleOperators, kind);
    }
    tokens.push_back({kind, begin, i - begin});
  }
  return tokens;
}

}  // namespace

Language LanguageForPath(std::string_view path) {
  const size_t dot = path.rfind('.');
  const size_t slash = path.find_last_of("/\\");
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) {
    return Language::kCFamily;
  }
  std::string ext(path.substr(dot + 1));
  for (char& ch : ext) {
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  }
  return ext == "py" || ext == "pyi" ? Language::kPython : Language::kCFamily;
}

std::vector<Token> Tokenize(std::string_view source, Language language) {
  return language == Language::kPython ? TokenizePython(source) : TokenizeC(source);
}

}  // namespace crucible
