#include "search/tpe_strategy.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numbers>

#include <nlohmann/json.hpp>

#include "core/rng.h"

namespace crucible {
namespace {

using Point = std::vector<double>;

constexpr int kCandidates = 24;
constexpr double kGoodShare = 0.25;
constexpr double kMinBandwidth = 0.02;

// A Parzen density on [0, 1]: Gaussians at `centres` plus a uniform prior
// weighted as one more point.
class Parzen {
 public:
  explicit Parzen(std::vector<double> centres) : centres_(std::move(centres)) {
    const double n = static_cast<double>(centres_.size());
    double mean = 0, var = 0;
    for (double c : centres_) mean += c / n;
    for (double c : centres_) var += (c - mean) * (c - mean) / n;
    // Scott's rule on the spread, kept wide enough to explore.
    sigma_ = std::max(kMinBandwidth, 1.06 * std::sqrt(var) * std::pow(n, -0.2));
  }

  double Density(double u) const {
    double sum = 1.0;  // the uniform prior's density on [0, 1]
    for (double c : centres_) {
      const double z = (u - c) / sigma_;
      sum += std::exp(-0.5 * z * z) / (sigma_ * std::sqrt(2 * std::numbers::pi));
    }
    return sum / static_cast<double>(centres_.size() + 1);
  }

  double Sample(Rng& rng) const {
    const uint64_t k = rng.Uniform(centres_.size() + 1);
    if (k == centres_.size()) return rng.UniformDouble();
    return std::clamp(centres_[k] + sigma_ * rng.Normal(), 0.0, 1.0);
  }

 private:
  std::vector<double> centres_;
  double sigma_ = kMinBandwidth;
};

class TpeStrategy : public Strategy {
 public:
  explicit TpeStrategy(const StrategyOptions& o) : Strategy(StrategyKind::kTpe), options_(o) {}

  StatusOr<std::vector<Point>> Ask(int n) override {
    std::vector<Point> out;
    for (int i = 0; i < n; ++i) {
      Rng rng(DeriveSeed(options_.seed, static_cast<uint64_t>(summary_.asked++)));
      out.push_back(static_cast<int>(told_.size()) < Startup() ? Uniform(rng) : Model(rng));
    }
    return out;
  }

  void Tell(const Point& x, const Point& losses) override {
    ++summary_.told;
    told_.emplace(x, losses.empty() ? kFailedLoss : losses[0]);
  }

  std::string SaveState() const override { return nlohmann::json{{"asked", summary_.asked}}.dump(); }
  Status LoadState(std::string_view text) override {
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_object() || !j.value("asked", nlohmann::json()).is_number_integer()) {
      return DataLossError("search state: the tpe strategy's state is corrupt");
    }
    summary_.asked = j["asked"].get<int64_t>();
    return Status::Ok();
  }
  StrategySummary Summary() const override { return summary_; }

 private:
  int Startup() const { return std::max(10, 2 * options_.dimensions); }

  Point Uniform(Rng& rng) const {
    Point x(static_cast<size_t>(options_.dimensions));
    for (double& v : x) v = rng.UniformDouble();
    return x;
  }

  Point Model(Rng& rng) const {
    // Sorted by loss, then point: independent of the order of tells.
    std::vector<std::pair<double, const Point*>> sorted;
    for (const auto& [x, loss] : told_) sorted.emplace_back(loss, &x);
    std::sort(sorted.begin(), sorted.end(),
              [](const auto& a, const auto& b) { return a.first != b.first ? a.first < b.first : *a.second < *b.second; });
    // Hyperopt's split: the best ceil(0.25 sqrt(n)) points are "good".
    const size_t good = static_cast<size_t>(
        std::ceil(kGoodShare * std::sqrt(static_cast<double>(sorted.size()))));
    const size_t d = static_cast<size_t>(options_.dimensions);
    std::vector<Parzen> l, g;
    for (size_t k = 0; k < d; ++k) {
      std::vector<double> lc, gc;
      for (size_t i = 0; i < sorted.size(); ++i) (i < good ? lc : gc).push_back((*sorted[i].second)[k]);
      l.emplace_back(std::move(lc));
      g.emplace_back(std::move(gc));
    }
    Point best;
    double best_score = -1e300;
    for (int c = 0; c < kCandidates; ++c) {
      Point x(d);
      double score = 0;
      for (size_t k = 0; k < d; ++k) {
        x[k] = l[k].Sample(rng);
        score += std::log(l[k].Density(x[k])) - std::log(g[k].Density(x[k]));
      }
      if (score > best_score) {
        best_score = score;
        best = std::move(x);
      }
    }
    return best;
  }

  StrategyOptions options_;
  std::map<Point, double> told_;  // the first result of each point
  StrategySummary summary_;
};

}  // namespace

std::unique_ptr<Strategy> MakeTpeStrategy(const StrategyOptions& options) {
  return std::make_unique<TpeStrategy>(options);
}

}  // namespace crucible
