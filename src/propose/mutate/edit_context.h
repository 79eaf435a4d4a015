// EditContext: the view of one source file that every mutation operator
// works on (its text, language, EVOLVE-BLOCK regions and tokens), and Edit,
// what an operator returns. Operators only ever change bytes inside evolvable
// regions, and never inside a string literal, a comment or a preprocessor
// line; the regions and tokens here are how they know where those are.
//
// An EditContext views text it does not own: the source must outlive it.
#ifndef CRUCIBLE_PROPOSE_MUTATE_EDIT_CONTEXT_H_
#define CRUCIBLE_PROPOSE_MUTATE_EDIT_CONTEXT_H_

#include <string>
#include <string_view>
#include <vector>

#include "core/lexer.h"
#include "core/regions.h"
#include "core/status.h"

namespace crucible {

struct EditContext {
  std::string_view source;
  std::string_view path;  // used for the language and in messages
  Language language = Language::kCFamily;
  std::vector<Region> regions;  // all of them, fixed and evolvable (ParseRegions)
  std::vector<Token> tokens;    // Tokenize(source, language)
};

// Parses the regions and tokens of `source`; the language follows `path`.
// Errors: those of ParseRegions (malformed EVOLVE-BLOCK markers).
StatusOr<EditContext> MakeEditContext(std::string_view source, std::string_view path);

// The result of one successful operator application. `line` and the texts
// describe the change for the proposal record (ProposalInfo::detail_json).
struct Edit {
  std::string source;  // the whole file after the edit
  int line = 0;        // 1-based line of the input where the edit is
  std::string from;    // the token or line text that was there ...
  std::string to;      // ... and what replaced it ("" for a deletion)

  // Crossover only.
  int region = -1;           // 0-based index among the evolvable regions
  std::string mode;          // "region" (whole region) or "one_point"
  int inspiration_line = 0;  // one_point: 1-based line of the inspiration where its part starts
};

}  // namespace crucible

#endif  // CRUCIBLE_PROPOSE_MUTATE_EDIT_CONTEXT_H_
