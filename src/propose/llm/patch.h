// Parsing a model's reply into an edit and applying it to a program
// (docs/llm.md, "Reply formats").
//
//  * diff: one or more SEARCH/REPLACE blocks
//        <<<<<<< SEARCH
//        lines to find
//        =======
//        lines to put instead
//        >>>>>>> REPLACE
//    Each block is matched exactly first, then tolerantly (lines compared
//    with leading/trailing whitespace dropped and inner runs collapsed; the
//    replacement is re-indented to the matched text). A block must fall
//    inside one evolvable region: an edit that touches a fixed region
//    (marker lines included) is refused. The patch applies only if EVERY
//    block applies; otherwise the failures name each failing block.
//  * rewrite / crossover: a fenced code block holding the new program. When
//    it carries EVOLVE-BLOCK markers, only the text of its evolvable regions
//    is taken (spliced into the parent's regions, so fixed code is never
//    changed); without markers it replaces the parent's single evolvable
//    region (or the whole file when the file has no markers).
// Pure functions; thread-safe.
#ifndef CRUCIBLE_PROPOSE_LLM_PATCH_H_
#define CRUCIBLE_PROPOSE_LLM_PATCH_H_

#include <string>
#include <string_view>
#include <vector>

#include "core/candidate.h"
#include "core/status.h"

namespace crucible {

struct SearchReplace {
  std::string search;
  std::string replace;
};

// The lines of `text` without their '\n' (a last line without one counts;
// no empty line after a final '\n'). Views into `text`.
std::vector<std::string_view> SplitLines(std::string_view text);

// The SEARCH/REPLACE blocks of `reply`, in order. InvalidArgument for an
// unterminated block (naming it); an empty vector when there is none.
StatusOr<std::vector<SearchReplace>> ParseDiffBlocks(std::string_view reply);

// The body of the largest fenced (```) code block, or NotFound.
StatusOr<std::string> ParseFencedCode(std::string_view reply);

struct PatchResult {
  Program program;                    // the child (valid when failures is empty)
  int applied = 0;                    // blocks applied
  int tolerant = 0;                   // ... of which by tolerant matching
  std::vector<std::string> failures;  // "block 2: ..." one per failing block
};

// Applies every block to `parent`. Each block is searched in the files in
// order; the first file where it matches inside an evolvable region wins.
PatchResult ApplyDiff(const Program& parent, const std::vector<SearchReplace>& blocks);

// Applies a rewrite of file `file_index` of `parent` (see above).
StatusOr<Program> ApplyRewrite(const Program& parent, size_t file_index, std::string_view code);

}  // namespace crucible

#endif  // CRUCIBLE_PROPOSE_LLM_PATCH_H_
