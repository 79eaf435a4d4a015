// Line-based unified diffs between two versions of a file or program: the
// patch recorded for each candidate against its parent, and what `crucible
// show` prints.
#ifndef CRUCIBLE_CORE_DIFF_H_
#define CRUCIBLE_CORE_DIFF_H_

#include <string>
#include <string_view>

#include "core/candidate.h"

namespace crucible {

// A unified diff ("--- a/PATH", "+++ b/PATH", "@@ ... @@" hunks) with
// `context` lines around changes; empty when the texts are equal. The common
// prefix and suffix are trimmed first, so the usual small edit of a large
// file costs linear time; the changed middle is diffed exactly up to a size
// bound, beyond which it is shown as one replaced block.
std::string UnifiedDiff(std::string_view before, std::string_view after, std::string_view path,
                        int context = 3);

// Concatenated diffs of every file of two programs with the same file list
// (files missing on one side are diffed against the empty text).
std::string ProgramDiff(const Program& before, const Program& after, int context = 3);

}  // namespace crucible

#endif  // CRUCIBLE_CORE_DIFF_H_
