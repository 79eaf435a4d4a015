// The texts compiled with every bin_packing candidate, embedded at build time
// (api_sources.cc.in): the header it implements, problems/bin_packing/
// bin_packing.h, and the trusted driver that runs the online loop, driver.cpp.
#ifndef CRUCIBLE_PROBLEMS_BIN_PACKING_CANDIDATE_API_H_
#define CRUCIBLE_PROBLEMS_BIN_PACKING_CANDIDATE_API_H_

#include <string_view>

namespace crucible::bin_packing {

inline constexpr std::string_view kHeaderName = "bin_packing.h";
std::string_view HeaderSource();

// Driver protocol. Input (stdin): "MODE K\n" (MODE 0 = reference array,
// 1 = fast array), then per instance "C n\n s_1 ... s_n\n". Output (the
// stdout it had at start; the candidate's own stdout goes to stderr): per
// instance one line, "A b_1 ... b_n" (the bin index of each item) or
// "E message" (then nothing more). Exit status 99: out of memory.
std::string_view DriverSource();

}  // namespace crucible::bin_packing

#endif  // CRUCIBLE_PROBLEMS_BIN_PACKING_CANDIDATE_API_H_
