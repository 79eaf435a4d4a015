// A non-hierarchical alternative to DeepSeek EPLB: replica counts by the same
// divisor rule but over all experts of the layer at once (not 8 per node),
// then the replicas, heaviest first, each to the least loaded GPU with a free
// slot, then swaps between the most and the least loaded GPU while they
// lower the maximum. Ignores group-to-node locality (not scored).
#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

#include "eplb.h"

// EVOLVE-BLOCK-START
std::vector<int32_t> crucible::eplb::RebalanceExperts(const Problem& p) {
  const int32_t E = p.experts, S = p.slots, G = p.gpus, per = p.slots_per_gpu();
  std::vector<int32_t> out(static_cast<size_t>(p.layers) * S);
  std::vector<int32_t> count(E), replica_of(S), gpu_of(S), order(S);
  std::vector<double> w(E), rw(S), gpu_load(G);
  std::vector<int32_t> gpu_used(G);
  std::vector<std::vector<int32_t>> on_gpu(G);
  for (int32_t l = 0; l < p.layers; ++l) {
    for (int32_t e = 0; e < E; ++e) w[e] = static_cast<double>(p.Load(l, e)) + 1.0;
    std::fill(count.begin(), count.end(), 1);
    for (int32_t r = E; r < S; ++r) {
      int32_t best = 0;
      for (int32_t e = 1; e < E; ++e) {
        if (w[e] / count[e] > w[best] / count[best]) best = e;
      }
      ++count[best];
    }
    int32_t k = 0;
    for (int32_t e = 0; e < E; ++e) {
      for (int32_t c = 0; c < count[e]; ++c) {
        replica_of[k] = e;
        rw[k] = w[e] / count[e];
        ++k;
      }
    }
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return rw[a] > rw[b]; });
    std::fill(gpu_load.begin(), gpu_load.end(), 0.0);
    std::fill(gpu_used.begin(), gpu_used.end(), 0);
    for (auto& v : on_gpu) v.clear();
    for (int32_t r : order) {
      int32_t best = -1;
      for (int32_t g = 0; g < G; ++g) {
        if (gpu_used[g] < per && (best < 0 || gpu_load[g] < gpu_load[best])) best = g;
      }
      gpu_of[r] = best;
      ++gpu_used[best];
      gpu_load[best] += rw[r];
      on_gpu[best].push_back(r);
    }
    // Swap refinement between the heaviest and the lightest GPU.
    for (int it = 0; it < 200; ++it) {
      const int32_t hi = static_cast<int32_t>(std::max_element(gpu_load.begin(), gpu_load.end()) - gpu_load.begin());
      const int32_t lo = static_cast<int32_t>(std::min_element(gpu_load.begin(), gpu_load.end()) - gpu_load.begin());
      const double gap = gpu_load[hi] - gpu_load[lo];
      double best_gain = 0;
      int32_t bi = -1, bj = -1;
      for (size_t i = 0; i < on_gpu[hi].size(); ++i) {
        for (size_t j = 0; j < on_gpu[lo].size(); ++j) {
          const double d = rw[on_gpu[hi][i]] - rw[on_gpu[lo][j]];
          if (d > 0 && d < gap) {
            const double gain = gap - std::max(gap - 2 * d, 2 * d - gap);
            if (gain > best_gain) {
              best_gain = gain;
              bi = static_cast<int32_t>(i);
              bj = static_cast<int32_t>(j);
            }
          }
        }
      }
      if (bi < 0) break;
      const int32_t a = on_gpu[hi][bi], b = on_gpu[lo][bj];
      gpu_load[hi] += rw[b] - rw[a];
      gpu_load[lo] += rw[a] - rw[b];
      on_gpu[hi][bi] = b;
      on_gpu[lo][bj] = a;
    }
    for (int32_t g = 0; g < G; ++g) {
      for (size_t i = 0; i < on_gpu[g].size(); ++i) {
        out[static_cast<size_t>(l) * S + g * per + i] = replica_of[on_gpu[g][i]];
      }
    }
  }
  return out;
}
// EVOLVE-BLOCK-END
