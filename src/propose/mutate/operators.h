// The genetic-improvement mutation operators. Each is a pure function of an
// EditContext and an Rng: it picks a random applicable site and returns the
// edited file, or nullopt when the file has no site the operator can use.
//
// Every operator
//   - changes bytes only inside evolvable regions (never a fixed region or an
//     EVOLVE-BLOCK marker line), so the child always passes
//     CheckFixedRegionsIntact against its parent;
//   - never edits inside a string literal, a comment or a preprocessor line
//     (whole lines holding them may be deleted, duplicated or moved);
//   - is conservative: where tokens alone cannot tell whether an edit keeps
//     the code well-formed (a '*' that may be a pointer declarator, a '<'
//     that may open a template), the site is skipped.
// docs/mutation.md describes them for users.
#ifndef CRUCIBLE_PROPOSE_MUTATE_OPERATORS_H_
#define CRUCIBLE_PROPOSE_MUTATE_OPERATORS_H_

#include <optional>
#include <string_view>

#include "core/rng.h"
#include "propose/mutate/edit_context.h"
#include "propose/mutate/mutate_options.h"

namespace crucible {

// Changes one numeric literal. Integers stay integers of the same base,
// prefix and suffix: ±1, ±a step proportional to the value, ×2 or /2 (never
// below zero). Floats get a multiplicative log-normal factor exp(sigma·N(0,1))
// or ±1 in the last written decimal place, and are written so that they parse
// back exactly, keeping their suffix (f, L, j). Rarely (5%) the sign flips
// instead, where a unary minus can be added or removed safely. Hex floats,
// malformed literals and the start value of a C-family for loop
// (`for (int i = 0; ...)`: an index origin, not a tunable) are skipped.
std::optional<Edit> PerturbConstant(const EditContext& ctx, Rng& rng, double float_sigma = 0.1);

// Replaces one binary operator by another of its class:
//   arithmetic  + - * / %          (Python also // and **; C-family never
//                                   introduces %, which takes integers only)
//   comparison  < <= > >= == !=
//   logical     && ||              (Python: and, or)
//   assignment  += -= *= /=
// An operator is replaced only when it is plainly binary: an operand ends
// before it and another starts after it. In C-family, a '<' or '>' must have
// blanks on both sides (templates rarely do), and a '*' or '&&' whose left
// operand may be a type at the start of a declaration is left alone.
std::optional<Edit> ReplaceOperator(const EditContext& ctx, Rng& rng);

// Deletes one simple statement line (see below). C-family: a declaration is
// deleted only if the declared name is not used later in the file; a return
// is never deleted. Python: if the line is the only statement of its block it
// becomes `pass`.
std::optional<Edit> DeleteLine(const EditContext& ctx, Rng& rng);

// Duplicates one simple statement line in place. Not for declarations
// (C-family) or jumps (return, break, continue, goto, throw, raise, pass).
std::optional<Edit> DuplicateLine(const EditContext& ctx, Rng& rng);

// Swaps two adjacent simple statement lines with the same indentation. Not
// for jumps, nor (C-family) when one line declares a name the other uses.
std::optional<Edit> SwapLines(const EditContext& ctx, Rng& rng);

// Adds a term to one expression: the right-hand side of an assignment
// (=, +=, -=, *=, /=) or a return, at bracket depth 0, wholly inside an
// evolvable region and holding no string, brace, comma, lambda or list
// display (C-family: not the initialiser of an integral or boolean
// declaration). The term reads the expression's own operands `a`, `b`
// (plain or indexed variables, never functions or members) with random
// constants (coefficients |c| log-uniform in [0.001, 10], thresholds t and
// step heights |d| in [0.1, 100]):
//   E + c*a,  E + c*a*b,  E + (a < t ? d : 0.0),  E + c/(1.0 + a*a),
//   (E) * (1.0 + c*a),  or one operand clamped: a -> (a < t ? a : t)
//   (Python: min(a, t) and `d if a < t else 0.0`).
// It is how the mutation proposer reaches functional forms the initial
// program lacks; perturb_constant then tunes the constants it brought.
std::optional<Edit> GrowExpression(const EditContext& ctx, Rng& rng);

// A simple statement line is a whole line inside an evolvable region that
//   - holds code, no multi-line token and no line continuation,
//   - is at bracket depth 0 at both ends (not inside a multi-line call),
//   - C-family: ends with ';', holds no '{' or '}' and no preprocessor line,
//     follows a line that ended a statement (';' '{' '}' ':'), so it is not
//     the body of a brace-less if/for/while, and is not a case label,
//   - Python: does not open a block (end with ':') and is not an else/elif/
//     except/finally clause or a decorator.

// Crosses the parent with `inspiration_source`, another version of the same
// file (it must have as many evolvable regions). Picks an evolvable region
// where the two differ, then either replaces it whole by the inspiration's,
// or does a one-point crossover at line boundaries: the parent's lines up to
// a cut, then the inspiration's lines from a matching cut (same brace depth
// in C-family, same indentation in Python, near the same relative position).
// Fixed regions stay the parent's. nullopt if the regions cannot be matched
// or no region differs.
std::optional<Edit> CrossoverRegion(const EditContext& parent, std::string_view inspiration_source,
                                    Rng& rng);

}  // namespace crucible

#endif  // CRUCIBLE_PROPOSE_MUTATE_OPERATORS_H_
