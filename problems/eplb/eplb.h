// eplb.h: MoE expert replication and placement (EPLB, ADRS) as a candidate
// sees it (it is written next to the candidate as "eplb.h") and as crucible
// uses it (problems/eplb/README.md, spec shared/problems/eplb.md).
//
// A layer has `experts` logical experts in `groups` contiguous groups, served
// by `slots` physical expert slots: slot s lives on GPU s / (slots / gpus),
// GPU k on node k / (gpus / nodes). Given each expert's load in the current
// window, the candidate returns phy2log: for every layer and slot, the logical
// expert placed there. An expert's replica count is how often it appears in
// its layer's row; its load is split equally among its replicas. The mapping
// is scored on the NEXT window's loads.
//
// Header-only and standard-library-only, so the balancedness functions are
// the candidate's oracle too; the harness computes every value with its own
// copy from phy2log alone and never trusts a number the candidate computes.
#ifndef CRUCIBLE_PROBLEMS_EPLB_EPLB_H_
#define CRUCIBLE_PROBLEMS_EPLB_EPLB_H_

#include <algorithm>
#include <cstdint>
#include <vector>

namespace crucible::eplb {

struct Problem {
  // DeepSeek-V3's shape by default: 58 layers, 256 experts in 8 groups, 4
  // nodes x 8 GPUs, 288 slots (9 per GPU, 32 redundant replicas per layer).
  int32_t layers = 58;
  int32_t experts = 256;
  int32_t groups = 8;
  int32_t nodes = 4;
  int32_t gpus = 32;
  int32_t slots = 288;
  // load[l * experts + e]: tokens routed to expert e of layer l in the
  // current window (>= 0).
  std::vector<int64_t> load;

  int64_t Load(int32_t layer, int32_t expert) const {
    return load[static_cast<size_t>(layer) * static_cast<size_t>(experts) +
                static_cast<size_t>(expert)];
  }
  int32_t slots_per_gpu() const { return slots / gpus; }
};

// Balancedness of a mapping on loads `load` (same layout as Problem::load):
// per slot load[l][s] = float(w[l][e] / count(e in row l)); per GPU the float
// sum of its slots. Returns {B_gpu, B_exp}, each
//   sum_l mean(row l) / sum_l max(row l)  (a ratio of sums over layers, 1 = perfect),
// over GPUs and over slots. The caller guarantees phy2log is valid (every
// entry in [0, experts), every expert present in each row).
struct Balancedness {
  double gpu = 0;
  double expert = 0;
};
inline Balancedness ComputeBalancedness(const Problem& shape, const std::vector<int64_t>& load,
                                        const std::vector<int32_t>& phy2log) {
  const size_t experts = static_cast<size_t>(shape.experts);
  const size_t slots = static_cast<size_t>(shape.slots);
  const size_t per_gpu = static_cast<size_t>(shape.slots_per_gpu());
  std::vector<int32_t> count(experts);
  std::vector<float> slot_load(slots);
  double gpu_mean_sum = 0, gpu_max_sum = 0, exp_mean_sum = 0, exp_max_sum = 0;
  for (size_t l = 0; l < static_cast<size_t>(shape.layers); ++l) {
    const int32_t* row = phy2log.data() + l * slots;
    const int64_t* w = load.data() + l * experts;
    std::fill(count.begin(), count.end(), 0);
    for (size_t s = 0; s < slots; ++s) ++count[static_cast<size_t>(row[s])];
    double slot_sum = 0, slot_max = 0;
    for (size_t s = 0; s < slots; ++s) {
      const size_t e = static_cast<size_t>(row[s]);
      slot_load[s] = static_cast<float>(static_cast<double>(w[e]) / count[e]);
      slot_sum += slot_load[s];
      if (slot_load[s] > slot_max) slot_max = slot_load[s];
    }
    double gpu_sum = 0, gpu_max = 0;
    for (size_t k = 0; k < static_cast<size_t>(shape.gpus); ++k) {
      float g = 0;
      for (size_t i = 0; i < per_gpu; ++i) g += slot_load[k * per_gpu + i];
      gpu_sum += g;
      if (g > gpu_max) gpu_max = g;
    }
    exp_mean_sum += slot_sum / static_cast<double>(slots);
    exp_max_sum += slot_max;
    gpu_mean_sum += gpu_sum / static_cast<double>(shape.gpus);
    gpu_max_sum += gpu_max;
  }
  Balancedness b;
  b.gpu = gpu_max_sum > 0 ? gpu_mean_sum / gpu_max_sum : 1.0;
  b.expert = exp_max_sum > 0 ? exp_mean_sum / exp_max_sum : 1.0;
  return b;
}

// The candidate: phy2log with problem.layers * problem.slots entries, row
// l = the slots of layer l; every expert must appear at least once per row.
std::vector<int32_t> RebalanceExperts(const Problem& problem);

}  // namespace crucible::eplb

#endif  // CRUCIBLE_PROBLEMS_EPLB_EPLB_H_
