// Can't-Be-Late (ADRS, single region): the policy interface a candidate
// implements. This header is compiled with every candidate (problems/
// cant_be_late/initial.cpp includes it as "cant_be_late.h") and by crucible's
// own simulator, so both see the same types.
//
// A job needs task_s seconds of compute and must finish by deadline_s. Time
// advances in ticks of gap_s seconds (600). At every tick the policy picks the
// cluster type for the coming tick: SPOT (cheap, only when has_spot, preempted
// when availability ends), ON_DEMAND (expensive, always available) or NONE
// (idle, free). Every switch to a running type costs overhead_s seconds of
// lost work. The simulator (crucible's, in another process) owns all state:
// the policy sees only this tick's observation, never the trace ahead, and
// its return value is the only thing it controls. The simulator still applies
// the safety net (on-demand when the deadline is near) and the availability
// check (SPOT without spot means NONE) after the policy.
#ifndef CANT_BE_LATE_H_
#define CANT_BE_LATE_H_

#include <cstdint>
#include <memory>

namespace cbl {

enum ClusterType : int { NONE = 0, SPOT = 1, ON_DEMAND = 2 };

// What a real scheduler knows at tick `tick` (all times in seconds).
struct Observation {
  int64_t tick = 0;             // t
  double elapsed_s = 0;         // t * gap_s
  double gap_s = 600;           // tick length
  double deadline_s = 0;        // D
  double task_s = 0;            // W, the total work
  double done_s = 0;            // work credited so far (W - done_s remains)
  double overhead_s = 0;        // O, the restart overhead
  double remaining_overhead_s = 0;  // restart overhead still to be paid
  ClusterType last_type = NONE;     // the type that ran during [t-1, t)
  ClusterType current_type = NONE;  // last_type, but NONE if spot was just preempted
  bool has_spot = false;            // spot is available for [t, t+1)
};

// One policy object is made per scenario (a job on one trace) and asked once
// per tick, in tick order, until the job is done.
class Policy {
 public:
  virtual ~Policy() = default;
  virtual ClusterType Step(const Observation& obs) = 0;
};

// Implemented by the candidate: a fresh policy for a new scenario.
std::unique_ptr<Policy> MakePolicy();

}  // namespace cbl

#endif  // CANT_BE_LATE_H_
