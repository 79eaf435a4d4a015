// Can't-Be-Late tick simulator (problems/cant_be_late/README.md): the
// rules of the ADRS simulator (sky_spot env/strategy/task), re-implemented
// with the same double arithmetic and operation order, as a pure library.
//
// A Run is one scenario (trace, W, D, O) advanced one tick at a time:
// Observe(has_spot) credits the tick just finished and returns what the
// policy may see; Decide(policy_choice) applies the strong guarantee, the
// availability check and the restart overhead. Runs own all state; a policy
// only ever gets an Observation copy.
//
// Two modes:
//   - scoring (default): the strong guarantee tests the post-preemption type,
//     and finishing after the deadline is a miss (the run stops there);
//   - parity (guarantee_quirk = true, enforce_deadline = false): §3.2 of the
//     spec exactly, as the original simulator, including its one-tick-late
//     finishes; running past the trace (including the harness's extra
//     observe at T+1) is reported as trace_overrun, as the leaderboard
//     simulator fails there.
#ifndef CRUCIBLE_PROBLEMS_CANT_BE_LATE_SIMULATOR_H_
#define CRUCIBLE_PROBLEMS_CANT_BE_LATE_SIMULATOR_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "problems/cant_be_late/cant_be_late.h"

namespace crucible::cbl {

using ::cbl::ClusterType;
using ::cbl::Observation;

inline constexpr double kGapSeconds = 600;
inline constexpr double kOnDemandPrice = 3.06;                    // $/h
inline constexpr double kSpotPrice = 3.06 / (3.06 / 0.9731);      // 0.9731 in double
// Cost of one tick, price * g / 3600 in that order.
inline constexpr double kOnDemandTickCost = kOnDemandPrice * kGapSeconds / 3600;  // 0.51
inline constexpr double kSpotTickCost = kSpotPrice * kGapSeconds / 3600;

struct SimOptions {
  bool guarantee_quirk = false;   // parity: the guarantee tests last_type (§3.2 step 4)
  bool enforce_deadline = true;   // scoring: stop and mark a miss once t*g > D
};

// One job: hours as in the evaluators' grids.
struct JobSpec {
  double task_hours = 48;
  double deadline_hours = 52;
  double overhead_hours = 0.02;
};

struct RunResult {
  bool rejected = false;       // pre-check failed: W + O > D or the trace is shorter than D
  bool finished = false;       // the work was done
  bool missed = false;         // finished after the deadline, or stopped at it unfinished
  bool trace_overrun = false;  // needed a tick past the trace (parity: the leaderboard fails)
  int64_t end_tick = 0;        // T: the tick at whose observe the work was done
  int64_t spot_ticks = 0;      // billed ticks per type, t = 0 .. T-1
  int64_t on_demand_ticks = 0;
  double cost = 0;             // sum of the billed ticks' costs, left to right
};

// The state machine of one scenario.
class Run {
 public:
  Run(const JobSpec& job, int64_t trace_ticks, const SimOptions& options);

  // False when the pre-checks reject the scenario (then result().rejected).
  bool accepted() const { return !result_.rejected; }
  // The run is over: finished, missed, or rejected.
  bool over() const { return over_; }
  int64_t tick() const { return t_; }

  // Steps 1-2 and 8 of the loop for tick tick() with bits[tick] == '0' ==
  // has_spot. Returns false when the run ended at this observe (done, or the
  // deadline passed); otherwise `obs` holds the policy's view.
  bool Observe(bool has_spot, Observation* obs);
  // Steps 4-7: applies the policy's choice (any value other than SPOT or
  // ON_DEMAND counts as NONE; the harness rejects such values before) and
  // advances to the next tick.
  void Decide(ClusterType choice);
  // Marks a run that needs a tick beyond the trace.
  void MarkTraceOverrun();

  const RunResult& result() const { return result_; }

 private:
  SimOptions options_;
  double g_ = kGapSeconds, W_ = 0, D_ = 0, O_ = 0;
  int64_t trace_ticks_ = 0;
  int64_t t_ = 0;
  ClusterType c_ = ::cbl::NONE;
  ClusterType last_ = ::cbl::NONE;
  bool preempted_ = false;
  bool has_spot_ = false;
  double done_ = 0;
  double r_ = 0;
  bool over_ = false;
  RunResult result_;
};

// A policy in crucible's own process (the baselines, tests, benchmarks).
using PolicyFn = std::function<ClusterType(const Observation&)>;

// Runs one scenario to its end on `bits` ('0' = spot available).
RunResult Simulate(std::string_view bits, const JobSpec& job, ::cbl::Policy& policy,
                   const SimOptions& options);

// The baselines of the spec (§5), as candidates would write them.
class GreedyPolicy : public ::cbl::Policy {
 public:
  ClusterType Step(const Observation& obs) override;
};
class UniformProgressPolicy : public ::cbl::Policy {
 public:
  ClusterType Step(const Observation& obs) override;
};

}  // namespace crucible::cbl

#endif  // CRUCIBLE_PROBLEMS_CANT_BE_LATE_SIMULATOR_H_
