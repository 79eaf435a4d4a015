// A stronger placement, in the style of the leaderboard's evolved solutions:
// bisection on a target pressure K (KVPR_k <= K is the linear constraint
// weight + K * size <= K * memory on each GPU), best-fit-decreasing packing of
// the items "weight + K * size" under a few sort keys for each K, then a
// move/swap hill climb on the maximum KVPR. Not tuned to the cases.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <numeric>
#include <vector>

#include "prism.h"

using crucible::prism::Case;
using crucible::prism::MaxKvpr;

namespace {

// Packs with target K using `order`; empty if it fails.
std::vector<int32_t> Pack(const Case& c, double k, const std::vector<size_t>& order) {
  const size_t g = static_cast<size_t>(c.gpus);
  std::vector<double> load(g, 0.0);  // weight + K * size
  std::vector<int64_t> size(g, 0);
  std::vector<int32_t> gpu_of(c.models.size(), -1);
  const double cap = k * c.memory_gb;
  for (size_t j : order) {
    const double item = c.models[j].weight() + k * c.models[j].size_gb;
    int32_t best = -1;
    double best_left = std::numeric_limits<double>::infinity();
    for (size_t q = 0; q < g; ++q) {
      if (size[q] + c.models[j].size_gb >= c.memory_gb) continue;
      const double left = cap - load[q] - item;
      if (left >= 0 && left < best_left) {
        best_left = left;
        best = static_cast<int32_t>(q);
      }
    }
    if (best < 0) return {};
    gpu_of[j] = best;
    load[static_cast<size_t>(best)] += item;
    size[static_cast<size_t>(best)] += c.models[j].size_gb;
  }
  return gpu_of;
}

bool Fits(const Case& c, const std::vector<int32_t>& gpu_of) {
  std::vector<int64_t> size(static_cast<size_t>(c.gpus), 0);
  for (size_t j = 0; j < gpu_of.size(); ++j) size[static_cast<size_t>(gpu_of[j])] += c.models[j].size_gb;
  for (int64_t s : size) {
    if (s > c.memory_gb) return false;
  }
  return true;
}

}  // namespace

// EVOLVE-BLOCK-START
std::vector<int32_t> crucible::prism::PlaceModels(const Case& c) {
  const size_t n = c.models.size();
  std::vector<std::vector<size_t>> orders;
  for (int key = 0; key < 4; ++key) {
    std::vector<size_t> o(n);
    std::iota(o.begin(), o.end(), size_t{0});
    std::stable_sort(o.begin(), o.end(), [&](size_t a, size_t b) {
      const auto& x = c.models[a];
      const auto& y = c.models[b];
      switch (key) {
        case 0: return x.weight() > y.weight();
        case 1: return x.size_gb > y.size_gb;
        case 2: return x.weight() + 0.05 * x.size_gb > y.weight() + 0.05 * y.size_gb;
        default: return x.weight() / (c.memory_gb - x.size_gb) > y.weight() / (c.memory_gb - y.size_gb);
      }
    });
    orders.push_back(std::move(o));
  }
  std::vector<int32_t> best;
  double lo = 0, hi = 10;
  for (int it = 0; it < 40; ++it) {
    const double mid = 0.5 * (lo + hi);
    std::vector<int32_t> found;
    for (const auto& o : orders) {
      found = Pack(c, mid, o);
      if (!found.empty()) break;
    }
    if (found.empty()) {
      lo = mid;
    } else {
      hi = mid;
      best = std::move(found);
    }
  }
  if (best.empty()) {  // fall back to first-fit decreasing by size
    best.assign(n, 0);
    std::vector<int64_t> used(static_cast<size_t>(c.gpus), 0);
    for (size_t j : orders[1]) {
      for (int32_t q = 0; q < c.gpus; ++q) {
        if (used[q] + c.models[j].size_gb <= c.memory_gb) {
          used[q] += c.models[j].size_gb;
          best[j] = q;
          break;
        }
      }
    }
  }
  // Hill climb: moves, then swaps, while the max KVPR strictly drops.
  double cur = MaxKvpr(c, best);
  for (bool improved = true; improved;) {
    improved = false;
    for (size_t j = 0; j < n; ++j) {
      for (int32_t q = 0; q < c.gpus; ++q) {
        const int32_t old = best[j];
        if (q == old) continue;
        best[j] = q;
        const double v = Fits(c, best) ? MaxKvpr(c, best) : std::numeric_limits<double>::infinity();
        if (v < cur - 1e-12) {
          cur = v;
          improved = true;
        } else {
          best[j] = old;
        }
      }
    }
    for (size_t a = 0; a < n; ++a) {
      for (size_t b = a + 1; b < n; ++b) {
        if (best[a] == best[b]) continue;
        std::swap(best[a], best[b]);
        const double v = Fits(c, best) ? MaxKvpr(c, best) : std::numeric_limits<double>::infinity();
        if (v < cur - 1e-12) {
          cur = v;
          improved = true;
        } else {
          std::swap(best[a], best[b]);
        }
      }
    }
  }
  return best;
}
// EVOLVE-BLOCK-END
