// Can't-Be-Late: Uniform Progress (Wu et al., NSDI'24; ADRS referenced_up.py),
// the state-of-the-art baseline, in C++. Keep the work done at or above the
// uniform rate W/D: use spot whenever it is up; while spot is down, idle if
// ahead of the uniform line, run on-demand if behind (with hysteresis: stay on
// on-demand until 2 overheads ahead).
#include <cmath>
#include <memory>

#include "cant_be_late.h"

// EVOLVE-BLOCK-START
class UniformProgress : public cbl::Policy {
 public:
  cbl::ClusterType Step(const cbl::Observation& o) override {
    const double W = o.task_s, D = o.deadline_s, O = o.overhead_s;
    const double w = W - o.done_s;
    if (w <= 1e-3) return cbl::NONE;
    const double tau = o.elapsed_s;
    cbl::ClusterType dec = o.has_spot ? cbl::SPOT : cbl::NONE;
    if (tau * W / D - (W - w) > 0) dec = o.has_spot ? cbl::SPOT : cbl::ON_DEMAND;
    if (o.current_type == cbl::ON_DEMAND && (tau + 2 * O) * W / D - (W - w) >= 0) {
      dec = cbl::ON_DEMAND;
    }
    if (std::ceil((w + O) / o.gap_s) >= std::floor((D - tau) / o.gap_s)) return cbl::ON_DEMAND;
    return o.has_spot ? cbl::SPOT : dec;
  }
};

std::unique_ptr<cbl::Policy> cbl::MakePolicy() { return std::make_unique<UniformProgress>(); }
// EVOLVE-BLOCK-END
