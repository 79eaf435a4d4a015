#include "propose/search/search_proposer.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/rng.h"

namespace crucible {
namespace {

// How many points in a row may be answered from memory before the proposer
// gives up on the strategy for this child and evaluates a filler.
constexpr int kMaxAnsweredFromMemory = 10000;
// The fillers' random stream, apart from the strategy's.
constexpr uint64_t kFillerStream = 0x5eedf111e7ull;
// The proxy fits at most this many results (the best): a GP's fit grows
// with the cube of its points, and ranking matters near the front.
constexpr size_t kMaxProxyPoints = 200;
// How the proxy ranks a batch: predicted loss minus this many standard
// deviations (optimism under uncertainty, so unexplored regions are not
// screened out for being unknown).
constexpr double kScreeningOptimism = 1.0;

double ScreeningScore(const ProxyPrediction& p) { return p.mean - kScreeningOptimism * p.sd; }

// How many losses a result gives the strategy: every objective for the
// strategies that rank by several (nsga2, random), else the first's alone.
size_t LossCount(const SearchProposerOptions& o) {
  const bool several = o.search.strategy == StrategyKind::kNsga2 ||
                       o.search.strategy == StrategyKind::kRandom;
  return several && o.objectives.size() > 1 ? o.objectives.size() : 1;
}

}  // namespace

Status SearchProposerOptions::Validate() const {
  if (search.parameters.empty()) {
    return InvalidArgumentError("the search proposer needs a `parameters:` section");
  }
  if (objectives.size() == 1) {
    return InvalidArgumentError("search proposer: objectives holds two or more, or none");
  }
  if (search.proxy.enabled() && LossCount(*this) > 1) {
    return InvalidArgumentError(
        "search.proxy: models one objective; nsga2 and random are told several here (use another "
        "strategy, or no proxy)");
  }
  return search.Validate();
}

StatusOr<std::unique_ptr<SearchProposer>> SearchProposer::Create(SearchProposerOptions options) {
  RETURN_IF_ERROR(options.Validate());
  StrategyOptions so;
  so.kind = options.search.strategy;
  so.dimensions = static_cast<int>(options.search.parameters.size());
  so.objectives = static_cast<int>(LossCount(options));
  so.population = options.search.population;
  so.seed = options.seed;
  // The initial program holds the defaults: the search starts from them.
  so.initial_points = {options.search.parameters.Encode(options.search.parameters.Defaults())};
  ASSIGN_OR_RETURN(std::unique_ptr<Strategy> strategy, MakeStrategy(so));
  const int batch = so.EffectivePopulation();
  return std::unique_ptr<SearchProposer>(new SearchProposer(std::move(options), std::move(strategy), batch));
}

SearchProposer::SearchProposer(SearchProposerOptions options, std::unique_ptr<Strategy> strategy, int batch)
    : options_(std::move(options)), losses_(LossCount(options_)), batch_(batch), strategy_(std::move(strategy)) {}

StatusOr<SearchProposer::Next> SearchProposer::NextPoint() {
  const ParameterSpace& space = options_.search.parameters;
  for (int i = 0; i < kMaxAnsweredFromMemory; ++i) {
    Point x;
    bool kept = false;
    if (!pending_.empty()) {
      x = pending_.front();
      pending_.pop_front();
      kept = true;
    } else if (options_.search.proxy.enabled() && FitProxy()) {
      ASSIGN_OR_RETURN(bool asked, ScreenBatch());
      if (!asked) break;  // the strategy waits for results
      continue;
    } else {
      ASSIGN_OR_RETURN(std::vector<Point> got, strategy_->Ask(1));
      if (got.empty()) break;  // the strategy waits for results
      x = std::move(got[0]);
    }
    const std::string key = space.ValuesToJson(space.Decode(x));
    if (auto it = known_.find(key); it != known_.end()) {
      strategy_->Tell(x, it->second);
      ++from_memory_;
      continue;
    }
    if (in_flight_.count(key)) {
      waiting_[key].push_back(x);
      ++from_memory_;
      continue;
    }
    Next next;
    next.x = std::move(x);
    if (kept) next.screen = screen_record_;
    return next;
  }
  return NextFiller();
}

SearchProposer::Next SearchProposer::NextFiller() {
  // A filler whose values are known or in flight is redrawn (a few times:
  // a tiny space may have nothing new left, and then the engine records the
  // child as a duplicate). With the proxy, the best predicted of `screen`
  // new draws.
  const ParameterSpace& space = options_.search.parameters;
  const bool screen = options_.search.proxy.enabled() && FitProxy();
  const int draws = screen ? options_.search.proxy.screen : 1;
  Next best;
  double best_score = 0;
  int found = 0;
  Point x(space.size());
  for (int attempt = 0; attempt < 100 && found < draws; ++attempt) {
    const int64_t index = fillers_++;
    Rng rng(DeriveSeed(DeriveSeed(options_.seed, kFillerStream), static_cast<uint64_t>(index)));
    for (double& v : x) v = rng.UniformDouble();
    const std::vector<ParameterValue> values = space.Decode(x);
    const std::string key = space.ValuesToJson(values);
    if (known_.count(key) || in_flight_.count(key)) continue;
    const double score = screen ? ScreeningScore(proxy_.Predict(space.Encode(values))) : 0;
    if (found++ == 0 || score < best_score) {
      best.x = x;
      best.filler = index;
      best_score = score;
    }
  }
  if (found == 0) {
    best.x = x;
    best.filler = fillers_ - 1;
  }
  if (screen) best.fillers_next = fillers_;
  return best;
}

bool SearchProposer::FitProxy() {
  if (fitted_known_ == known_.size()) return proxy_fitted_;
  fitted_known_ = known_.size();
  // The known results in the table's (sorted) order, so that a resumed run
  // fits the same model; failures count as the worst result seen.
  const ParameterSpace& space = options_.search.parameters;
  double worst = -std::numeric_limits<double>::infinity();
  for (const auto& [key, losses] : known_) {
    if (losses[0] < kFailedLoss) worst = std::max(worst, losses[0]);
  }
  std::vector<std::pair<double, Point>> data;
  for (const auto& [key, losses] : known_) {
    StatusOr<std::vector<ParameterValue>> values = space.ValuesFromJson(key);
    if (!values.ok() || !std::isfinite(worst)) continue;
    data.emplace_back(losses[0] < kFailedLoss ? losses[0] : worst, space.Encode(*values));
  }
  const int warmup = options_.search.proxy.EffectiveWarmup(static_cast<int>(space.size()));
  proxy_fitted_ = false;
  if (static_cast<int>(data.size()) < std::max(warmup, 2)) return false;
  if (data.size() > kMaxProxyPoints) {
    // The best ones: the proxy's job is ranking near the front.
    std::stable_sort(data.begin(), data.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    data.resize(kMaxProxyPoints);
  }
  std::vector<Point> xs;
  std::vector<double> ys;
  for (auto& [y, x] : data) {
    ys.push_back(y);
    xs.push_back(std::move(x));
  }
  proxy_fitted_ = proxy_.Fit(xs, ys).ok();
  return proxy_fitted_;
}

StatusOr<bool> SearchProposer::ScreenBatch() {
  const ParameterSpace& space = options_.search.parameters;
  ASSIGN_OR_RETURN(std::vector<Point> got, strategy_->Ask(batch_));
  if (got.empty()) return false;
  // The batch's new values, once each; the rest answered as NextPoint does.
  std::vector<Point> fresh;
  std::vector<std::string> keys;
  std::set<std::string> seen;
  for (Point& x : got) {
    const std::string key = space.ValuesToJson(space.Decode(x));
    if (auto it = known_.find(key); it != known_.end()) {
      strategy_->Tell(x, it->second);
      ++from_memory_;
    } else if (in_flight_.count(key) || seen.count(key)) {
      waiting_[key].push_back(std::move(x));  // told with the result or prediction
      ++from_memory_;
    } else {
      seen.insert(key);
      keys.push_back(key);
      fresh.push_back(std::move(x));
    }
  }
  if (fresh.empty()) return true;
  std::vector<double> predicted, score;
  for (const Point& x : fresh) {
    const ProxyPrediction p = proxy_.Predict(space.Encode(space.Decode(x)));
    predicted.push_back(p.mean);
    score.push_back(ScreeningScore(p));
  }
  std::vector<size_t> order(fresh.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return score[a] < score[b]; });
  const size_t screen = static_cast<size_t>(options_.search.proxy.screen);
  order.resize((fresh.size() + screen - 1) / screen);
  nlohmann::json record = {{"batch", screenings_++}, {"x", fresh}, {"predicted", predicted}, {"kept", order}};
  screen_record_ = record.dump();
  std::vector<bool> kept(fresh.size(), false);
  for (size_t i : order) {
    kept[i] = true;
    pending_.push_back(fresh[i]);
  }
  for (size_t i = 0; i < fresh.size(); ++i) {
    if (kept[i]) continue;
    TellAll(keys[i], fresh[i], {predicted[i]});
    ++screened_out_;
  }
  return true;
}

void SearchProposer::ReplayScreen(const Point& x, const nlohmann::json& record) {
  const ParameterSpace& space = options_.search.parameters;
  const int64_t batch = record.value("batch", int64_t{-1});
  if (batch < 0 || !record.value("x", nlohmann::json()).is_array()) return;
  if (batch >= screenings_) {
    // The first child of this batch replayed: re-tell the screened-out
    // points and queue the kept ones (each removed as its child replays).
    const std::vector<Point> xs = record["x"].get<std::vector<Point>>();
    const std::vector<double> predicted = record["predicted"].get<std::vector<double>>();
    const std::vector<size_t> order = record["kept"].get<std::vector<size_t>>();
    std::vector<bool> kept(xs.size(), false);
    pending_.clear();
    for (size_t i : order) {
      if (i >= xs.size()) continue;
      kept[i] = true;
      pending_.push_back(xs[i]);
    }
    for (size_t i = 0; i < xs.size() && i < predicted.size(); ++i) {
      if (kept[i] || xs[i].size() != space.size()) continue;
      TellAll(space.ValuesToJson(space.Decode(xs[i])), xs[i], {predicted[i]});
      ++screened_out_;
    }
    screenings_ = batch + 1;
    screen_record_ = record.dump();
  }
  if (batch == screenings_ - 1) {
    if (auto it = std::find(pending_.begin(), pending_.end(), x); it != pending_.end()) pending_.erase(it);
  }
}

StatusOr<Proposal> SearchProposer::Propose(const ProposalRequest& request, std::stop_token) {
  if (!request.parent) return InvalidArgumentError("the search proposer needs a parent program");
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(Next next, NextPoint());
  const Point& x = next.x;
  const int64_t filler = next.filler;
  const ParameterSpace& space = options_.search.parameters;
  const std::string text = space.ValuesToJson(space.Decode(x));
  in_flight_.insert(text);
  Proposal p;
  p.program = request.parent->program;
  auto file = std::find_if(p.program.files.begin(), p.program.files.end(),
                           [](const SourceFile& f) { return f.path == kParametersFile; });
  if (file == p.program.files.end()) {
    p.program.files.push_back({std::string(kParametersFile), text});
  } else {
    file->content = text;
  }
  p.info.proposer = "search";
  const std::string strategy(StrategyKindName(options_.search.strategy));
  p.info.operators = {filler >= 0 ? "filler" : strategy};
  nlohmann::json detail = {{"strategy", strategy}, {"x", x}};
  if (filler >= 0) detail["filler"] = filler;
  if (next.fillers_next >= 0) detail["fillers_next"] = next.fillers_next;
  if (!next.screen.empty()) detail["screen"] = nlohmann::json::parse(next.screen);
  p.info.detail_json = detail.dump();
  return p;
}

bool SearchProposer::PointOf(const Candidate& c, Point& x, std::string& key) const {
  const ParameterSpace& space = options_.search.parameters;
  const SourceFile* file = c.program.Find(std::string(kParametersFile));
  if (!file) return false;
  StatusOr<std::vector<ParameterValue>> values = space.ValuesFromJson(file->content);
  if (!values.ok()) return false;
  key = space.ValuesToJson(*values);
  // The exact point asked, when this proposer made the child; otherwise
  // (the initial program) the values' cell centres.
  nlohmann::json detail = nlohmann::json::parse(c.proposal.detail_json, nullptr, false);
  if (detail.is_object() && detail.contains("x") && detail["x"].is_array() &&
      detail["x"].size() == space.size()) {
    x = detail["x"].get<Point>();
  } else {
    x = space.Encode(*values);
  }
  return true;
}

void SearchProposer::TellAll(const std::string& key, const Point& x, const Point& losses) {
  strategy_->Tell(x, losses);
  if (auto it = waiting_.find(key); it != waiting_.end()) {
    for (const Point& w : it->second) strategy_->Tell(w, losses);
    waiting_.erase(it);
  }
}

void SearchProposer::OnResult(const Candidate& child, std::optional<double> child_fitness,
                              std::optional<double>, bool replayed) {
  std::lock_guard<std::mutex> lock(mu_);
  Point x;
  std::string key;
  if (!PointOf(child, x, key)) return;
  nlohmann::json detail = nlohmann::json::parse(child.proposal.detail_json, nullptr, false);
  if (detail.is_object() && detail.contains("filler") && detail["filler"].is_number_integer()) {
    fillers_ = std::max(fillers_, detail["filler"].get<int64_t>() + 1);  // a replayed filler
    if (detail.contains("fillers_next") && detail["fillers_next"].is_number_integer()) {
      fillers_ = std::max(fillers_, detail["fillers_next"].get<int64_t>());  // a screened one
    }
  }
  if (replayed && detail.is_object() && detail.contains("screen") && detail["screen"].is_object()) {
    ReplayScreen(x, detail["screen"]);
  }
  if (child.result.outcome == Outcome::kDuplicate) {
    // Its values were evaluated (or are being evaluated, after a resume) by
    // the candidate it repeats: tell that result, now or when it comes.
    if (auto it = known_.find(key); it != known_.end()) {
      strategy_->Tell(x, it->second);
    } else {
      waiting_[key].push_back(x);
    }
    return;
  }
  in_flight_.erase(key);
  known_.emplace(key, LossesOf(child, child_fitness));
  TellAll(key, x, known_.at(key));
}

void SearchProposer::OnRestoredInFlight(const Candidate& child) {
  std::lock_guard<std::mutex> lock(mu_);
  Point x;
  std::string key;
  if (!PointOf(child, x, key)) return;
  in_flight_.insert(key);
  nlohmann::json detail = nlohmann::json::parse(child.proposal.detail_json, nullptr, false);
  if (!detail.is_object()) return;
  if (detail.contains("filler") && detail["filler"].is_number_integer()) {
    fillers_ = std::max(fillers_, detail["filler"].get<int64_t>() + 1);
  }
  if (detail.contains("fillers_next") && detail["fillers_next"].is_number_integer()) {
    fillers_ = std::max(fillers_, detail["fillers_next"].get<int64_t>());
  }
  if (detail.contains("screen") && detail["screen"].is_object()) ReplayScreen(x, detail["screen"]);
}

SearchProposer::Point SearchProposer::LossesOf(const Candidate& child,
                                               std::optional<double> child_fitness) const {
  // Fitness is higher-is-better (the engine's); losses are lower-is-better.
  if (losses_ == 1) return {child_fitness ? -*child_fitness : kFailedLoss};
  // Several: each objective's value in its own direction. A child missing
  // any of them failed in all (as the engine's Pareto rule: FitnessVector).
  Point losses;
  for (const Objective& o : options_.objectives) {
    const std::optional<double> v = o.ValueOf(child.result);
    if (!v || !std::isfinite(*v)) return Point(losses_, kFailedLoss);
    losses.push_back(-o.Fitness(*v));
  }
  return losses;
}

ProposerCheckpoint SearchProposer::TakeCheckpoint() {
  std::lock_guard<std::mutex> lock(mu_);
  ProposerCheckpoint cp;
  cp.state[kStateKey] = strategy_->SaveState();
  return cp;
}

Status SearchProposer::RestoreState(const std::map<std::string, std::string>& state) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = state.find(kStateKey);
  if (it == state.end()) return Status::Ok();  // a run that never saved one
  return strategy_->LoadState(it->second);
}

std::string SearchProposer::UsageSummary() const {
  std::lock_guard<std::mutex> lock(mu_);
  const StrategySummary s = strategy_->Summary();
  std::string out = fmt::format("{}: {} generations, {} asked, {} fillers, {} answered from memory",
                                StrategyKindName(options_.search.strategy), s.generations, s.asked,
                                fillers_, from_memory_);
  if (options_.search.proxy.enabled()) {
    out += fmt::format(", proxy: {} batches, {} screened out", screenings_, screened_out_);
  }
  return out;
}

}  // namespace crucible
