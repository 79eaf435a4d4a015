// EPLB load traces and mapping validation (crucible side; the candidate sees
// only eplb.h). Spec: shared/problems/eplb.md §7 (generator), §8.5 (checks).
//
// A trace is `windows` consecutive windows of per-expert loads, each
// layers x experts, DeepSeek-V3-shaped: per layer, latent popularities
// z[e] ~ N(0, sigma) plus a per-group offset ~ N(0, group_sigma); window
// loads round(tokens * softmax(z)); between windows z drifts as
// z' = rho * z + sqrt(1 - rho^2) * N(0, sigma) (the group offsets stay).
// Optionally Poisson sampling noise on each load, and hot-expert spikes: with
// probability spike_prob per (window, layer), 1-2 experts get x spike_factor
// popularity for that window only.
//
// The random stream is std::mt19937_64 with this file's own uniform, normal
// (Box-Muller) and Poisson transforms, so a seed gives the same trace with any
// standard library.
//
// Thread safety: pure functions.
#ifndef CRUCIBLE_PROBLEMS_EPLB_TRACES_H_
#define CRUCIBLE_PROBLEMS_EPLB_TRACES_H_

#include <cstdint>
#include <vector>

#include "core/status.h"
#include "problems/eplb/eplb.h"

namespace crucible::eplb {

struct TraceOptions {
  uint64_t seed = 1;
  Problem shape;  // dimensions only (load ignored)
  int32_t windows = 20;
  double sigma = 1.2;
  double group_sigma = 0.5;
  double rho = 0.95;
  double tokens = 100.0 * 4096 * 8;  // per layer per window: 100 steps x 4096 tokens x top-8
  bool poisson = false;
  double spike_prob = 0.05;
  double spike_factor = 5.0;

  // Errors name the field ("windows must be >= 2", ...).
  [[nodiscard]] Status Validate() const;
};

// windows x (layers * experts) loads.
using Trace = std::vector<std::vector<int64_t>>;
StatusOr<Trace> GenerateTrace(const TraceOptions& options);

// OK iff phy2log has layers * slots entries, each in [0, experts), and every
// expert appears at least once in every layer's row (spec §8.5; so every
// expert with load has a replica and counts are positive by construction).
Status ValidateMapping(const Problem& shape, const std::vector<int64_t>& phy2log);

// OK iff the shape is consistent: positive sizes, experts % groups == 0,
// gpus % nodes == 0, slots % gpus == 0, slots >= experts.
Status ValidateShape(const Problem& shape);

}  // namespace crucible::eplb

#endif  // CRUCIBLE_PROBLEMS_EPLB_TRACES_H_
