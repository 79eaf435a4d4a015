// Evolvable regions of a source file. A file is divided into fixed and
// evolvable regions by comment lines holding the markers
//
//     // EVOLVE-BLOCK-START        (or  # EVOLVE-BLOCK-START)
//     ...evolvable code...
//     // EVOLVE-BLOCK-END
//
// The marker lines themselves belong to the fixed regions. A file without any
// marker is evolvable as a whole. Nothing outside the evolvable regions may
// change: the pre-check (precheck/precheck.h) enforces this for every child,
// byte for byte, with CheckFixedRegionsIntact of core/parsed_program.h; a
// child's regions are parsed once, into its ParsedProgram.
#ifndef CRUCIBLE_CORE_REGIONS_H_
#define CRUCIBLE_CORE_REGIONS_H_

#include <string>
#include <string_view>
#include <vector>

#include "core/candidate.h"
#include "core/status.h"

namespace crucible {

inline constexpr std::string_view kEvolveStartMarker = "EVOLVE-BLOCK-START";
inline constexpr std::string_view kEvolveEndMarker = "EVOLVE-BLOCK-END";

// A half-open byte range [begin, end) of a file.
struct Region {
  size_t begin = 0;
  size_t end = 0;
  bool evolvable = false;
  size_t size() const { return end - begin; }
  bool operator==(const Region&) const = default;
};

// Splits `content` into consecutive regions covering it exactly, alternating
// fixed and evolvable (the first region is fixed, possibly empty, unless the
// file has no markers at all, in which case it is one evolvable region).
// Errors name `path` and the 1-based line: nested START, END without START,
// START without END, a marker not in a `//` or `#` comment line.
StatusOr<std::vector<Region>> ParseRegions(std::string_view content, std::string_view path);

// The evolvable regions only.
std::vector<Region> EvolvableRegions(const std::vector<Region>& regions);

// The text of every evolvable region of `content`, in order.
std::vector<std::string> EvolvableTexts(std::string_view content, std::string_view path);

// OK iff `child` has the same fixed regions as `parent`, byte for byte, in the
// same order (the evolvable regions may change freely). Otherwise
// InvalidArgument naming the file and the first differing fixed region.
// Conveniences for single texts (tests, a patch being applied): both parse
// their arguments and call CheckFixedRegionsIntact(ParsedProgram, ...).
Status CheckFixedRegionsIntact(std::string_view parent, std::string_view child,
                               std::string_view path);

// The same for every file of a program: same file list, fixed regions intact.
Status CheckProgramFixedRegions(const Program& parent, const Program& child);

// Replaces the text of evolvable region `index` of `content` by `text`.
// Returns InvalidArgument if there is no such region.
StatusOr<std::string> ReplaceEvolvableRegion(std::string_view content, std::string_view path,
                                             size_t index, std::string_view text);

}  // namespace crucible

#endif  // CRUCIBLE_CORE_REGIONS_H_
