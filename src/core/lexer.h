// A lossless lexer for C-family (C, C++, CUDA, Java, JavaScript, Rust, Go)
// and Python sources. It exists so that tools which edit or compare code can
// tell code from string literals and comments: the mutation operators never
// edit inside a string or a comment, and the normalised source hash ignores
// comments and insignificant whitespace.
//
// Lossless: concatenating the text of all tokens, in order, reproduces the
// input exactly, for any input (including malformed code: an unterminated
// string or comment extends to the end of the input).
#ifndef CRUCIBLE_CORE_LEXER_H_
#define CRUCIBLE_CORE_LEXER_H_

#include <cstddef>
#include <string_view>
#include <vector>

namespace crucible {

enum class Language { kCFamily, kPython };

// .py/.pyi -> Python; everything else (.c .cc .cpp .cxx .h .hpp .cu .java .js
// .ts .rs .go ...) -> C-family.
Language LanguageForPath(std::string_view path);

enum class TokenKind {
  kIdentifier,    // names and keywords
  kNumber,        // 42, 0x1F, 1'000, 3.5e-2f, 10u, 1_000, 0b101, .5, 1j
  kString,        // "..", '..', R"d(..)d", u8"..", b'..', f"..", """..""", '''..'''
  kComment,       // // .., /* .. */, # .. (Python)
  kOperator,      // + - * / % = < > ! & | ^ ~ ? : and multi-char forms (<=, &&, ->, ::, **, //)
  kPunctuation,   // ( ) [ ] { } , ; .
  kPreprocessor,  // a whole C-family preprocessor line (# include ...), continuation lines included
  kWhitespace,    // spaces and tabs
  kNewline,       // "\n" or "\r\n"
  kOther,         // any byte not covered above
};

struct Token {
  TokenKind kind;
  size_t begin;   // byte offset into the source
  size_t length;  // in bytes
  std::string_view Text(std::string_view source) const { return source.substr(begin, length); }
};

std::vector<Token> Tokenize(std::string_view source, Language language);

}  // namespace crucible

#endif  // CRUCIBLE_CORE_LEXER_H_
