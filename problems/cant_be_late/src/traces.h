// The Can't-Be-Late spot traces and scenario grids (problems/cant_be_late/
// data/README.md). The 2,400 evaluator traces are 554-tick windows of eight
// 1,781-tick base traces (one per environment) starting at the same tick for
// every environment; crucible ships the base traces and the window starts
// (embedded in the binary) instead of 1.4 MB of windows.
#ifndef CRUCIBLE_PROBLEMS_CANT_BE_LATE_TRACES_H_
#define CRUCIBLE_PROBLEMS_CANT_BE_LATE_TRACES_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "problems/cant_be_late/src/simulator.h"

namespace crucible::cbl {

inline constexpr int64_t kWindowTicks = 554;

struct TraceSet {
  std::map<std::string, std::string> base;  // env -> '0'/'1' bits, 1,781 ticks
  std::vector<int64_t> window_start;        // trace id -> start tick in the base
  std::map<std::string, std::vector<int>> splits;  // train_time, heldout_time, eval30, ...

  // Trace `id` of `env`: base[start : start + 554].
  std::string_view Window(const std::string& env, int id) const;
};

// Parses base_traces.txt, window_starts.txt and split.txt; every line checked.
StatusOr<TraceSet> ParseTraceSet(std::string_view base_text, std::string_view windows_text,
                                 std::string_view split_text);
// The copy embedded at build time from problems/cant_be_late/data/.
const TraceSet& EmbeddedTraceSet();
std::string_view EmbeddedBaseTracesText();
std::string_view EmbeddedWindowStartsText();
std::string_view EmbeddedSplitText();

struct Scenario {
  std::string env;
  int trace_id = 0;
  int64_t start = 0;  // window start in the base trace (absolute time)
  JobSpec job;
  std::string Name() const;  // "us-west-2a_k80_1/107 D=52 O=0.02"
};

// The leaderboard grid (6 envs x eval30 x D {52,70} x O {0.02,0.05,0.1}) and
// the ADRS grid (4 envs x eval30 x D {52,70,92} x O {0.02,0.2,0.4}): 1,080
// scenarios each, in the evaluators' order (env, trace, D, O).
std::vector<Scenario> LeaderboardGrid(const TraceSet& traces);
std::vector<Scenario> AdrsGrid(const TraceSet& traces);

// crucible's splits: D {52,70,92} x O {0.02,0.05,0.1,0.2,0.4} on
//   train:   the 4 ADRS (*_1) envs x train_time windows (4,200 scenarios);
//   heldout: A = the *_1 envs x heldout_time, B = the 4 *_8 envs x
//            heldout_time (9,000 scenarios, time-disjoint from train).
StatusOr<std::vector<Scenario>> SplitGrid(const TraceSet& traces, const std::string& split);

// The leaderboard's anchors and normalised score (unrounded, unclipped):
// 100 * (146.88 - mean) / (146.88 - 46.7088).
double LeaderboardScore(double mean_cost);

}  // namespace crucible::cbl

#endif  // CRUCIBLE_PROBLEMS_CANT_BE_LATE_TRACES_H_
