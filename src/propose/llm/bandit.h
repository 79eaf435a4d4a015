// UcbBandit: UCB1 over a fixed set of arms (models, or patch modes), for
// the adaptive ensemble (docs/llm.md, "Ensemble"). Rewards are in [0, 1].
// An arm with a prior weight of 0 is never chosen. Not thread-safe (the
// proposer guards it).
#ifndef CRUCIBLE_PROPOSE_LLM_BANDIT_H_
#define CRUCIBLE_PROPOSE_LLM_BANDIT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/rng.h"
#include "core/status.h"

namespace crucible {

class UcbBandit {
 public:
  // `decay` < 1 discounts old evidence: before each update every arm's
  // count and reward sum are multiplied by it (discounted UCB), so early
  // luck fades and the choice follows what works now.
  UcbBandit(std::vector<std::string> arms, std::vector<double> weights, double exploration,
            double decay = 1.0);

  // Untried arms first (in order), then the highest upper confidence bound;
  // ties broken by `rng`.
  size_t Choose(Rng& rng) const;
  void Update(size_t arm, double reward);

  // {"arm": {"n": N, "sum": S}, ...}
  std::string ToJson() const;
  // Restores counts of arms present in both (an arm added since starts afresh).
  Status FromJson(const std::string& json);

  double pulls(size_t arm) const { return n_[arm]; }  // discounted when decay < 1
  double mean(size_t arm) const { return n_[arm] ? sum_[arm] / n_[arm] : 0; }
  const std::vector<std::string>& arms() const { return arms_; }

 private:
  std::vector<std::string> arms_;
  std::vector<double> weights_;
  double exploration_;
  double decay_;
  std::vector<double> n_;
  std::vector<double> sum_;
};

// Reward of a child: 0 unless it beats its parent; then the improvement
// relative to the parent's magnitude, squashed into (0, 1]:
// 0.5 + 0.5 * min(1, 10 * improvement / max(|parent|, 1e-9)).
double ImprovementReward(std::optional<double> child_fitness, std::optional<double> parent_fitness);

}  // namespace crucible

#endif  // CRUCIBLE_PROPOSE_LLM_BANDIT_H_
