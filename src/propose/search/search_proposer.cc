#include "propose/search/search_proposer.h"

#include <algorithm>
#include <cmath>

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
  return std::unique_ptr<SearchProposer>(new SearchProposer(std::move(options), std::move(strategy)));
}

SearchProposer::SearchProposer(SearchProposerOptions options, std::unique_ptr<Strategy> strategy)
    : options_(std::move(options)), losses_(LossCount(options_)), strategy_(std::move(strategy)) {}

StatusOr<std::pair<SearchProposer::Point, int64_t>> SearchProposer::NextPoint() {
  const ParameterSpace& space = options_.search.parameters;
  for (int i = 0; i < kMaxAnsweredFromMemory; ++i) {
    ASSIGN_OR_RETURN(std::vector<Point> got, strategy_->Ask(1));
    if (got.empty()) break;  // the strategy waits for results
    const std::string key = space.ValuesToJson(space.Decode(got[0]));
    if (auto it = known_.find(key); it != known_.end()) {
      strategy_->Tell(got[0], it->second);
      ++from_memory_;
      continue;
    }
    if (in_flight_.count(key)) {
      waiting_[key].push_back(got[0]);
      ++from_memory_;
      continue;
    }
    return std::make_pair(got[0], int64_t{-1});
  }
  // A filler; one whose values are known or in flight is redrawn (a few
  // times: a tiny space may have nothing new left, and then the engine
  // records the child as a duplicate).
  Point x(space.size());
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int64_t index = fillers_++;
    Rng rng(DeriveSeed(DeriveSeed(options_.seed, kFillerStream), static_cast<uint64_t>(index)));
    for (double& v : x) v = rng.UniformDouble();
    const std::string key = space.ValuesToJson(space.Decode(x));
    if (!known_.count(key) && !in_flight_.count(key)) return std::make_pair(x, index);
  }
  return std::make_pair(x, fillers_ - 1);
}

StatusOr<Proposal> SearchProposer::Propose(const ProposalRequest& request, std::stop_token) {
  if (!request.parent) return InvalidArgumentError("the search proposer needs a parent program");
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(auto next, NextPoint());
  const auto& [x, filler] = next;
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
                              std::optional<double>, bool) {
  std::lock_guard<std::mutex> lock(mu_);
  Point x;
  std::string key;
  if (!PointOf(child, x, key)) return;
  nlohmann::json detail = nlohmann::json::parse(child.proposal.detail_json, nullptr, false);
  if (detail.is_object() && detail.contains("filler") && detail["filler"].is_number_integer()) {
    fillers_ = std::max(fillers_, detail["filler"].get<int64_t>() + 1);  // a replayed filler
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
  return fmt::format("{}: {} generations, {} asked, {} fillers, {} answered from memory",
                     StrategyKindName(options_.search.strategy), s.generations, s.asked, fillers_,
                     from_memory_);
}

}  // namespace crucible
