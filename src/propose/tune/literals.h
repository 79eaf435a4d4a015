// Tunable literals: the numeric constants inside a program's evolvable
// regions, seen as a parameter vector that an optimiser can move and write
// back (issue #14, item 2). The sites are those the mutation operators'
// perturb_constant sees (propose/mutate/): number tokens in evolvable
// regions, never in strings or comments, not a member access (`t.0`) and not
// a for loop's start value. Of those, a float literal > 0 is tunable, and an
// integer literal >= 2 written in decimal when integers are enabled (0 and 1
// are structure: indexes, identities, increments). A leading minus sign is
// outside the token, so only magnitudes move and signs never flip. In
// C-family code the literals of a dead store are left out: `x[i] = v1;`
// immediately followed by `x[i] = v2;` (same target, v2 does not read x,
// neither value calls anything or assigns) — v1 is overwritten unread and
// its literals move nothing. (A read through an alias of x is not seen.)
//
// Coordinates: a literal of value v0 is the coordinate x in [-1, 1] with
// value v0 * range^x (log-scaled: thresholds and weights are multiplicative
// quantities); integers round to the nearest integer >= 1. x = 0 gives back
// the literal as written.
//
// Thread-safe: plain values and pure functions.
#ifndef CRUCIBLE_PROPOSE_TUNE_LITERALS_H_
#define CRUCIBLE_PROPOSE_TUNE_LITERALS_H_

#include <cstddef>
#include <string>
#include <vector>

#include "core/parsed_program.h"
#include "core/status.h"
#include "propose/mutate/number_literal.h"
#include "propose/tune/tune_options.h"

namespace crucible {

struct TunableLiteral {
  size_t file = 0;    // index into the program's files
  size_t begin = 0;   // byte offset of the token in that file
  size_t length = 0;  // bytes of the token
  int line = 0;       // 1-based, for people
  std::string text;   // as written
  NumberLiteral parsed;
  double value = 0;   // as written (> 0)
  bool is_integer = false;
};

// The tunable literals of `program`'s evolvable regions, in order. Files
// whose markers do not parse have none.
std::vector<TunableLiteral> FindTunableLiterals(const ParsedProgram& program,
                                                const LiteralOptions& options);

// The value coordinate `x` stands for (x clamped to [-1, 1]), and its text in
// the literal's own form: an integer stays a decimal integer with its suffix;
// a float gets six significant digits (more if it was written with more),
// keeps an exponent if it had one, and keeps its suffix.
std::string LiteralText(const TunableLiteral& literal, double x, double range);

// `program` with literal i written as LiteralText(literals[i], x[i], range).
// `x` has one coordinate per literal.
Program RewriteLiterals(const Program& program, const std::vector<TunableLiteral>& literals,
                        const std::vector<double>& x, double range);

}  // namespace crucible

#endif  // CRUCIBLE_PROPOSE_TUNE_LITERALS_H_
