// PRISM model placement: put every model on one GPU so that the largest
// KV-cache pressure is as small as possible (see prompt.md and prism.h). The
// initial program is the ADRS seed: PRISM's greedy (Algorithm 1 without the
// tau check).
#include <algorithm>
#include <cstdint>
#include <limits>
#include <numeric>
#include <vector>

#include "prism.h"

// EVOLVE-BLOCK-START
// Sort the models by rate/slo, largest first (stable); give each to the GPU
// with room whose current weight / remaining memory is smallest (lowest index
// on ties).
std::vector<int32_t> crucible::prism::PlaceModels(const Case& c) {
  const size_t n = c.models.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return c.models[a].weight() > c.models[b].weight();
  });
  std::vector<double> remaining(static_cast<size_t>(c.gpus), c.memory_gb);
  std::vector<double> weight(static_cast<size_t>(c.gpus), 0.0);
  std::vector<int32_t> gpu_of(n, 0);
  for (size_t j : order) {
    const Model& m = c.models[j];
    int32_t best = -1;
    double best_ratio = std::numeric_limits<double>::infinity();
    for (int32_t k = 0; k < c.gpus; ++k) {
      if (m.size_gb <= remaining[k] && remaining[k] > 0) {
        const double ratio = weight[k] / remaining[k];
        if (ratio < best_ratio) {
          best_ratio = ratio;
          best = k;
        }
      }
    }
    if (best < 0) best = 0;  // no GPU has room: the evaluator will refuse it
    gpu_of[j] = best;
    weight[best] += m.weight();
    remaining[best] -= m.size_gb;
  }
  return gpu_of;
}
// EVOLVE-BLOCK-END
