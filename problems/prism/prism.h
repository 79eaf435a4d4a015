// prism.h: the PRISM GPU model-placement problem as a candidate sees it (it
// is written next to the candidate as "prism.h") and as crucible uses it
// (problems/prism/README.md, spec shared/problems/prism.md §1).
//
// A case has `gpus` GPUs of `memory_gb` (80) GB each and a list of models,
// each with weights of `size_gb` GB, a request rate and an SLO. Every model
// goes to exactly one GPU, and the models on a GPU may not exceed its memory.
// The KV-cache pressure of GPU k is
//   KVPR_k = sum_{j on k} (rate_j / slo_j) / (memory_gb - sum_{j on k} size_j)
// (1e6 when the denominator is <= 0; an empty GPU has 0). The objective is the
// largest KVPR_k of a case, to be minimised.
//
// Header-only and standard-library-only, so the same code is the candidate's
// cost oracle; the harness recomputes every value with its own copy and never
// trusts a number the candidate computes.
#ifndef CRUCIBLE_PROBLEMS_PRISM_PRISM_H_
#define CRUCIBLE_PROBLEMS_PRISM_PRISM_H_

#include <cstdint>
#include <vector>

namespace crucible::prism {

struct Model {
  int32_t size_gb = 0;  // weights, GB
  int32_t rate = 0;     // request rate
  int32_t slo = 1;      // SLO (> 0)
  double weight() const { return static_cast<double>(rate) / static_cast<double>(slo); }
};

struct Case {
  int32_t gpus = 0;
  int32_t memory_gb = 80;  // per GPU
  std::vector<Model> models;
};

// The value of a GPU whose denominator is <= 0 (over-full).
inline constexpr double kOverfullKvpr = 1e6;

// KVPR of one GPU from its summed weight (sum of rate/slo) and summed size.
inline double GpuKvpr(double weight_sum, int64_t size_sum, int32_t memory_gb) {
  const double free_gb = static_cast<double>(memory_gb) - static_cast<double>(size_sum);
  if (free_gb <= 0) return kOverfullKvpr;
  return weight_sum / free_gb;
}

// max_k KVPR_k of a placement (gpu_of[j] in [0, gpus) for every model j;
// the caller checks that). Sums run in model order, as the spec's §8 says.
inline double MaxKvpr(const Case& c, const std::vector<int32_t>& gpu_of) {
  std::vector<double> weight(static_cast<size_t>(c.gpus), 0.0);
  std::vector<int64_t> size(static_cast<size_t>(c.gpus), 0);
  for (size_t j = 0; j < c.models.size(); ++j) {
    weight[static_cast<size_t>(gpu_of[j])] += c.models[j].weight();
    size[static_cast<size_t>(gpu_of[j])] += c.models[j].size_gb;
  }
  double worst = 0;  // empty GPUs count 0
  for (size_t k = 0; k < weight.size(); ++k) {
    if (weight[k] == 0 && size[k] == 0) continue;
    const double v = GpuKvpr(weight[k], size[k], c.memory_gb);
    if (v > worst) worst = v;
  }
  return worst;
}

// The lower bound of every valid placement (spec §1, mediant inequality):
// sum_j weight_j / (gpus * memory_gb - sum_j size_j).
inline double KvprLowerBound(const Case& c) {
  double w = 0;
  int64_t s = 0;
  for (const Model& m : c.models) {
    w += m.weight();
    s += m.size_gb;
  }
  const double free_gb = static_cast<double>(c.gpus) * c.memory_gb - static_cast<double>(s);
  return free_gb <= 0 ? kOverfullKvpr : w / free_gb;
}

// The candidate: gpu_of[j] in [0, c.gpus) for every model j, with the models
// of each GPU fitting in its memory. Called once per case.
std::vector<int32_t> PlaceModels(const Case& c);

}  // namespace crucible::prism

#endif  // CRUCIBLE_PROBLEMS_PRISM_PRISM_H_
