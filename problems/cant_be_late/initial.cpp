// Can't-Be-Late: the greedy seed of ADRS (initial_greedy.py), in C++.
// Finish a 48 h job by its deadline at the lowest cost: wait for spot while
// there is slack, take on-demand when the deadline gets close.
#include <cmath>
#include <memory>

#include "cant_be_late.h"

// EVOLVE-BLOCK-START
class GreedyPolicy : public cbl::Policy {
 public:
  cbl::ClusterType Step(const cbl::Observation& o) override {
    const double w = o.task_s - o.done_s;  // work left
    if (w <= 1e-9) return cbl::NONE;
    // Whole ticks left before the deadline, and ticks needed to finish with
    // one (n1) or two (n2) more restarts.
    const double left = std::max(0.0, std::floor((o.deadline_s - o.elapsed_s) / o.gap_s));
    const double n1 = std::ceil((w + o.overhead_s) / o.gap_s);
    const double n2 = std::ceil((w + 2 * o.overhead_s) / o.gap_s);
    if (n1 >= left) return cbl::ON_DEMAND;
    if (n2 >= left) {
      return o.current_type == cbl::SPOT && o.has_spot ? cbl::SPOT : cbl::ON_DEMAND;
    }
    return o.has_spot ? cbl::SPOT : cbl::NONE;  // slack: wait for spot
  }
};

std::unique_ptr<cbl::Policy> cbl::MakePolicy() { return std::make_unique<GreedyPolicy>(); }
// EVOLVE-BLOCK-END
