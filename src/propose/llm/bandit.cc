#include "propose/llm/bandit.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>

namespace crucible {

UcbBandit::UcbBandit(std::vector<std::string> arms, std::vector<double> weights,
                     double exploration, double decay)
    : arms_(std::move(arms)),
      weights_(std::move(weights)),
      exploration_(exploration),
      decay_(decay),
      n_(arms_.size(), 0),
      sum_(arms_.size(), 0) {
  weights_.resize(arms_.size(), 1.0);
}

size_t UcbBandit::Choose(Rng& rng) const {
  double total = 0;
  for (size_t i = 0; i < arms_.size(); ++i) {
    if (weights_[i] <= 0) continue;
    if (n_[i] == 0) return i;
    total += n_[i];
  }
  std::vector<size_t> best;
  double best_value = -1;
  for (size_t i = 0; i < arms_.size(); ++i) {
    if (weights_[i] <= 0) continue;
    const double ucb = sum_[i] / n_[i] +
                       exploration_ * std::sqrt(2.0 * std::log(std::max(total, 1.0)) / n_[i]);
    if (ucb > best_value + 1e-12) {
      best_value = ucb;
      best = {i};
    } else if (std::abs(ucb - best_value) <= 1e-12) {
      best.push_back(i);
    }
  }
  if (best.empty()) return 0;
  return best[rng.Uniform(best.size())];
}

void UcbBandit::Update(size_t arm, double reward) {
  if (arm >= arms_.size()) return;
  if (decay_ < 1) {
    for (size_t i = 0; i < arms_.size(); ++i) {
      n_[i] *= decay_;
      sum_[i] *= decay_;
    }
  }
  n_[arm] += 1;
  sum_[arm] += std::clamp(reward, 0.0, 1.0);
}

std::string UcbBandit::ToJson() const {
  nlohmann::json j = nlohmann::json::object();
  for (size_t i = 0; i < arms_.size(); ++i) j[arms_[i]] = {{"n", n_[i]}, {"sum", sum_[i]}};
  return j.dump();
}

Status UcbBandit::FromJson(const std::string& text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return DataLossError("the stored bandit state is corrupt");
  for (size_t i = 0; i < arms_.size(); ++i) {
    auto it = j.find(arms_[i]);
    if (it == j.end() || !it->is_object()) continue;
    n_[i] = it->value("n", 0.0);
    sum_[i] = it->value("sum", 0.0);
  }
  return Status::Ok();
}

double ImprovementReward(std::optional<double> child, std::optional<double> parent) {
  if (!child || !parent || !(*child > *parent)) return 0;
  const double rel = (*child - *parent) / std::max(std::abs(*parent), 1e-9);
  return 0.5 + 0.5 * std::min(1.0, 10 * rel);
}

}  // namespace crucible
