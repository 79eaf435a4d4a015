#include "problems/cant_be_late/src/simulator.h"

#include <algorithm>
#include <cmath>

namespace crucible::cbl {

using ::cbl::NONE;
using ::cbl::ON_DEMAND;
using ::cbl::SPOT;

Run::Run(const JobSpec& job, int64_t trace_ticks, const SimOptions& options)
    : options_(options),
      W_(job.task_hours * 3600),
      D_(job.deadline_hours * 3600),
      O_(job.overhead_hours * 3600),
      trace_ticks_(trace_ticks) {
  // §3.1: hours, as the original compares them.
  if (job.task_hours + job.overhead_hours > job.deadline_hours ||
      static_cast<double>(trace_ticks) * g_ < D_) {
    result_.rejected = true;
    over_ = true;
  }
}

bool Run::Observe(bool has_spot, Observation* obs) {
  // 1. Observe: bill [t-1, t) at the type that ran, then preemption.
  has_spot_ = has_spot;
  last_ = c_;
  if (last_ == SPOT) {
    ++result_.spot_ticks;
    result_.cost += kSpotTickCost;
  } else if (last_ == ON_DEMAND) {
    ++result_.on_demand_ticks;
    result_.cost += kOnDemandTickCost;
  }
  preempted_ = c_ == SPOT && !has_spot;
  if (preempted_) c_ = NONE;
  // 2. Credit the tick just finished.
  if (last_ != NONE) {
    double e = std::max(g_ - r_, 0.0);
    r_ = r_ - (g_ - e);
    if (r_ < 1e-3) r_ = 0;
    e = std::min(e, W_ - done_);
    done_ += e;
  }
  // 8. Done test.
  if (W_ - done_ <= 1e-8) {
    over_ = true;
    result_.finished = true;
    result_.end_tick = t_;
    result_.missed = static_cast<double>(t_) * g_ > D_;
    // The original harness observes once more at T+1.
    if (t_ + 1 >= trace_ticks_) result_.trace_overrun = true;
    return false;
  }
  if (options_.enforce_deadline && static_cast<double>(t_) * g_ >= D_) {
    // Not done at the deadline: it can only finish later.
    over_ = true;
    result_.missed = true;
    result_.end_tick = t_;
    return false;
  }
  obs->tick = t_;
  obs->elapsed_s = static_cast<double>(t_) * g_;
  obs->gap_s = g_;
  obs->deadline_s = D_;
  obs->task_s = W_;
  obs->done_s = done_;
  obs->overhead_s = O_;
  obs->remaining_overhead_s = r_;
  obs->last_type = last_;
  obs->current_type = c_;
  obs->has_spot = has_spot;
  return true;
}

void Run::Decide(ClusterType choice) {
  ClusterType d = choice == SPOT || choice == ON_DEMAND ? choice : NONE;
  // 4. Strong guarantee.
  const double w = W_ - done_;
  if (w > 1e-3) {
    const double t_g = static_cast<double>(t_) * g_;
    const double R = std::floor((D_ - t_g) / g_) * g_;
    const double N = std::ceil((w + O_) / g_) * g_;
    if (N >= R) {
      const ClusterType on = options_.guarantee_quirk ? last_ : c_;
      d = on == SPOT && r_ < 1e-3 ? SPOT : ON_DEMAND;
    }
  }
  // 5. Availability safety.
  if (d == SPOT && !has_spot_) d = NONE;
  // 6. Restart overhead.
  const ClusterType cur = preempted_ ? NONE : last_;
  if (d != cur && d != NONE) r_ = O_;
  // 7. Apply.
  c_ = d;
  ++t_;
}

void Run::MarkTraceOverrun() {
  result_.trace_overrun = true;
  result_.missed = true;
  result_.end_tick = t_;
  over_ = true;
}

RunResult Simulate(std::string_view bits, const JobSpec& job, ::cbl::Policy& policy,
                   const SimOptions& options) {
  const int64_t n = static_cast<int64_t>(bits.size());
  Run run(job, n, options);
  Observation obs;
  while (!run.over()) {
    if (run.tick() >= n) {
      run.MarkTraceOverrun();
      break;
    }
    if (!run.Observe(bits[static_cast<size_t>(run.tick())] == '0', &obs)) break;
    run.Decide(policy.Step(obs));
  }
  return run.result();
}

ClusterType GreedyPolicy::Step(const Observation& o) {
  const double w = o.task_s - o.done_s;
  if (w <= 1e-9) return NONE;
  const double L = std::max(0.0, std::floor((o.deadline_s - o.elapsed_s) / o.gap_s));
  const double n1 = std::ceil((w + o.overhead_s) / o.gap_s);
  const double n2 = std::ceil((w + 2 * o.overhead_s) / o.gap_s);
  if (n1 >= L) return ON_DEMAND;
  if (n2 >= L) return o.current_type == SPOT && o.has_spot ? SPOT : ON_DEMAND;
  return o.has_spot ? SPOT : NONE;
}

ClusterType UniformProgressPolicy::Step(const Observation& o) {
  const double W = o.task_s, D = o.deadline_s, O = o.overhead_s;
  const double w = W - o.done_s;
  if (w <= 1e-3) return NONE;
  const double tau = o.elapsed_s;
  ClusterType dec = o.has_spot ? SPOT : NONE;
  if (tau * W / D - (W - w) > 0) dec = o.has_spot ? SPOT : ON_DEMAND;
  if (o.current_type == ON_DEMAND && (tau + 2 * O) * W / D - (W - w) >= 0) dec = ON_DEMAND;
  if (std::ceil((w + O) / o.gap_s) >= std::floor((D - tau) / o.gap_s)) return ON_DEMAND;
  return o.has_spot ? SPOT : dec;
}

}  // namespace crucible::cbl
