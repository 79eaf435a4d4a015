#include "problems/prism/src/cases.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace crucible::prism {

int64_t NumpyRandomState::RandInt(int64_t lo, int64_t hi) {
  // numpy legacy randint: rng = hi - lo - 1; 0 draws nothing; otherwise
  // mask = the smallest 2^k - 1 >= rng and draws of 32 bits are masked and
  // rejected until <= rng.
  const uint64_t rng = static_cast<uint64_t>(hi - lo - 1);
  if (rng == 0) return lo;
  uint64_t mask = rng;
  mask |= mask >> 1;
  mask |= mask >> 2;
  mask |= mask >> 4;
  mask |= mask >> 8;
  mask |= mask >> 16;
  for (;;) {
    const uint64_t v = NextUint32() & mask;
    if (v <= rng) return lo + static_cast<int64_t>(v);
  }
}

std::vector<Case> GenerateStandardCases(uint32_t seed, int count) {
  NumpyRandomState rs(seed);
  std::vector<Case> cases;
  for (int i = 0; i < count; ++i) {
    Case c;
    c.gpus = static_cast<int32_t>(rs.RandInt(5, 10));
    for (int32_t j = 0; j < 2 * c.gpus; ++j) {
      Model m;
      m.size_gb = static_cast<int32_t>(rs.RandInt(10, 30));
      m.rate = static_cast<int32_t>(rs.RandInt(1, 10));
      m.slo = static_cast<int32_t>(rs.RandInt(5, 10));
      c.models.push_back(m);
    }
    cases.push_back(std::move(c));
  }
  return cases;
}

std::vector<Case> GenerateHardCases(uint32_t seed, int count) {
  NumpyRandomState rs(seed);
  std::vector<Case> cases;
  while (static_cast<int>(cases.size()) < count) {
    // Alternate the two regimes: "big" (2G models up to 40 GB) and "dense"
    // (3G models of the standard sizes), both with G = 8..16.
    const bool dense = cases.size() % 2 == 1;
    Case c;
    c.gpus = static_cast<int32_t>(rs.RandInt(8, 17));
    const int32_t n = (dense ? 3 : 2) * c.gpus;
    for (int32_t j = 0; j < n; ++j) {
      Model m;
      m.size_gb = static_cast<int32_t>(dense ? rs.RandInt(10, 30) : rs.RandInt(10, 41));
      m.rate = static_cast<int32_t>(rs.RandInt(1, 10));
      m.slo = static_cast<int32_t>(rs.RandInt(5, 10));
      c.models.push_back(m);
    }
    const std::vector<int32_t> greedy = PrismGreedy(c);
    if (!greedy.empty() && MaxKvpr(c, greedy) < kOverfullKvpr) cases.push_back(std::move(c));
  }
  return cases;
}

Status ValidatePlacement(const Case& c, const std::vector<int64_t>& gpu_of) {
  if (gpu_of.size() != c.models.size()) {
    return InvalidArgumentError(fmt::format("placed {} models, the case has {}", gpu_of.size(),
                                            c.models.size()));
  }
  std::vector<int64_t> used(static_cast<size_t>(c.gpus), 0);
  for (size_t j = 0; j < gpu_of.size(); ++j) {
    if (gpu_of[j] < 0 || gpu_of[j] >= c.gpus) {
      return InvalidArgumentError(fmt::format(
          "model {} placed on GPU {}, which does not exist (GPUs are 0..{})", j, gpu_of[j],
          c.gpus - 1));
    }
    used[static_cast<size_t>(gpu_of[j])] += c.models[j].size_gb;
  }
  for (size_t k = 0; k < used.size(); ++k) {
    if (used[k] > c.memory_gb) {
      return InvalidArgumentError(fmt::format("GPU {} holds {} GB of models, more than its {} GB",
                                              k, used[k], c.memory_gb));
    }
  }
  return Status::Ok();
}

std::vector<int32_t> PrismGreedy(const Case& c) {
  std::vector<size_t> order(c.models.size());
  std::iota(order.begin(), order.end(), size_t{0});
  // Python's sorted(key=rate/slo, reverse=True) is stable.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return c.models[a].weight() > c.models[b].weight();
  });
  std::vector<double> remaining(static_cast<size_t>(c.gpus), c.memory_gb);
  std::vector<double> weight(static_cast<size_t>(c.gpus), 0.0);
  std::vector<int32_t> gpu_of(c.models.size(), -1);
  for (size_t j : order) {
    const Model& m = c.models[j];
    int32_t best = -1;
    double best_ratio = std::numeric_limits<double>::infinity();
    for (int32_t k = 0; k < c.gpus; ++k) {
      const size_t kk = static_cast<size_t>(k);
      if (m.size_gb <= remaining[kk] && remaining[kk] > 0) {
        const double ratio = weight[kk] / remaining[kk];
        if (ratio < best_ratio) {
          best_ratio = ratio;
          best = k;
        }
      }
    }
    if (best < 0) return {};
    gpu_of[j] = best;
    weight[static_cast<size_t>(best)] += m.weight();
    remaining[static_cast<size_t>(best)] -= m.size_gb;
  }
  return gpu_of;
}

std::vector<int32_t> RoundRobin(const Case& c) {
  std::vector<int32_t> gpu_of(c.models.size());
  for (size_t j = 0; j < gpu_of.size(); ++j) gpu_of[j] = static_cast<int32_t>(j % c.gpus);
  return gpu_of;
}

std::vector<int32_t> FirstFitDecreasing(const Case& c) {
  std::vector<size_t> order(c.models.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return c.models[a].size_gb > c.models[b].size_gb; });
  std::vector<int64_t> used(static_cast<size_t>(c.gpus), 0);
  std::vector<int32_t> gpu_of(c.models.size(), -1);
  for (size_t j : order) {
    for (int32_t k = 0; k < c.gpus; ++k) {
      if (used[static_cast<size_t>(k)] + c.models[j].size_gb <= c.memory_gb) {
        used[static_cast<size_t>(k)] += c.models[j].size_gb;
        gpu_of[j] = k;
        break;
      }
    }
    if (gpu_of[j] < 0) return {};
  }
  return gpu_of;
}

double LeaderboardScore(const Case& c, double solution_kvpr) {
  const double b = MaxKvpr(c, RoundRobin(c));
  const double o = KvprLowerBound(c);
  if (b - o <= 0) return solution_kvpr <= o ? 100.0 : 0.0;
  const double x = std::clamp((b - solution_kvpr) / (b - o), 0.0, 1.0);
  return 100.0 * std::sqrt(x);
}

}  // namespace crucible::prism
