// Internal to mutate/: the questions the operators ask about a source, on top
// of its tokens. Which tokens matter (not whitespace or comments), which bytes
// are evolvable, how tokens group into lines, and how deep each line sits in
// brackets. Conservative by design: when a question cannot be answered from
// tokens alone, the answer is the one that makes an operator skip the site.
#ifndef CRUCIBLE_PROPOSE_MUTATE_SOURCE_MODEL_H_
#define CRUCIBLE_PROPOSE_MUTATE_SOURCE_MODEL_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/rng.h"
#include "propose/mutate/edit_context.h"

namespace crucible::mutate_internal {

inline constexpr size_t kNone = static_cast<size_t>(-1);

// Whitespace, line breaks and comments.
bool IsTrivia(TokenKind kind);

// [begin, end) lies inside one evolvable region.
bool InEvolvable(const EditContext& ctx, size_t begin, size_t end);
bool TokenInEvolvable(const EditContext& ctx, size_t token);

// 1-based line number of a byte offset.
int LineNumberAt(std::string_view source, size_t offset);

std::string_view TextOf(const EditContext& ctx, size_t token);
bool TokenIs(const EditContext& ctx, size_t token, TokenKind kind, std::string_view text);

// The nearest non-trivia token before/after `token`, or kNone. In Python a
// line break ends the search (it usually ends the statement).
size_t PrevSignificant(const EditContext& ctx, size_t token);
size_t NextSignificant(const EditContext& ctx, size_t token);

// Keywords that can never end an operand (return, sizeof, not, in, ...) and,
// in C-family, built-in type names.
bool IsNonOperandWord(Language language, std::string_view word);
bool IsCTypeWord(std::string_view word);

// A token that can end a binary operator's left operand: a non-keyword
// identifier, a number, a string, ')' or ']'.
bool IsOperandEnd(const EditContext& ctx, size_t token);
// A token that can begin a right operand: identifier, number, string, '(' or
// a unary operator (- + ! ~); '[' and '{' too in Python.
bool IsOperandStart(const EditContext& ctx, size_t token);

// The texts of all string and comment tokens, in order.
std::vector<std::string> StringAndCommentTexts(std::string_view source, Language language);

// True iff `child` (an edit of ctx.source) has the same string and comment
// texts as the parent, in order, and a token of `kind` with exactly `text`
// starts at byte `pos` of it: the edit did not merge into or split a
// neighbouring token (e.g. '-' before '*p' replaced by '/' opens a comment).
bool EditLexesCleanly(const EditContext& ctx, std::string_view child, size_t pos, TokenKind kind,
                      std::string_view text);

// Number token `number` is the start value of a C-family for loop,
// `for (int i = 0; ...)`: an index origin, not a tunable constant (moving it
// only skips or overruns elements). Its bound and step are not.
bool IsLoopStart(const EditContext& ctx, size_t number);

// An Edit of the common shape (no crossover fields).
Edit MakeEdit(std::string source, int line, std::string from, std::string to);

// A uniformly random permutation of 0..n-1.
std::vector<size_t> Shuffled(size_t n, Rng& rng);

// `s` with [begin, end) replaced by `text`.
std::string Splice(std::string_view s, size_t begin, size_t end, std::string_view text);

// One physical line and what the line operators need to know about it.
struct Line {
  size_t begin = 0;            // first byte
  size_t end = 0;              // one past the last byte before the line break
  size_t next = 0;             // first byte of the next line (after the line break)
  size_t first_token = kNone;  // first/last significant token starting on the line
  size_t last_token = kNone;
  bool joined = false;  // a token crosses the line's start or end, or a '\' continues it
  bool has_preprocessor = false;
  int depth_before = 0;  // open ( and [ (and { in Python) at the line's start
  int depth_after = 0;   // ... and at its end
  int brace_depth = 0;   // C-family: open { at the line's start
  size_t indent = 0;     // bytes of leading blanks

  bool HasCode() const { return first_token != kNone; }
  std::string_view Content(std::string_view source) const {
    return source.substr(begin, end - begin);
  }
};

std::vector<Line> AnalyzeLines(const EditContext& ctx);

}  // namespace crucible::mutate_internal

#endif  // CRUCIBLE_PROPOSE_MUTATE_SOURCE_MODEL_H_
