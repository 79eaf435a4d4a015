#include "propose/search/search_proposer.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace crucible {
namespace {

Parameter Num(std::string name, ParameterKind kind, double low, double high) {
  Parameter p;
  p.name = std::move(name);
  p.kind = kind;
  p.low = low;
  p.high = high;
  return p;
}

SearchProposerOptions Options(StrategyKind kind, std::vector<Parameter> params, uint64_t seed = 3) {
  SearchProposerOptions o;
  o.search.parameters = ParameterSpace(std::move(params));
  o.search.strategy = kind;
  o.seed = seed;
  return o;
}

std::vector<Parameter> Mixed() {
  Parameter mode;
  mode.name = "mode";
  mode.kind = ParameterKind::kCategorical;
  mode.choices = {"a", "b", "c"};
  return {Num("x", ParameterKind::kFloat, -2, 2), Num("n", ParameterKind::kInt, 0, 9), mode};
}

// The "evaluator": higher is better, best at x = 0.5, n = 7, mode = c.
double Fitness(const Program& p) {
  nlohmann::json v = nlohmann::json::parse(p.Find("parameters.json")->content);
  return -std::pow(v.value("x", 0.5) - 0.5, 2) - std::pow(v.value("n", 7.0) - 7, 2) / 10 -
         (v.value("mode", "c") == "c" ? 0 : 1);
}

// A second objective in tension with Fitness (lower is better): best at
// x = -1 and mode = a, where Fitness wants x = 0.5 and mode = c.
double Cost(const Program& p) {
  nlohmann::json v = nlohmann::json::parse(p.Find("parameters.json")->content);
  return std::pow(v.value("x", 0.5) + 1, 2) + (v.value("mode", "c") == "a" ? 0 : 1);
}

// A small engine: the initial program, then `n` children with `jobs` in
// flight, results in the order given by a seeded shuffle.
struct MiniEngine {
  SearchProposer& proposer;
  std::shared_ptr<Candidate> initial = std::make_shared<Candidate>();
  std::vector<Candidate> finished;
  std::vector<Candidate> in_flight;
  CandidateId next_id = 1;

  explicit MiniEngine(SearchProposer& p, const ParameterSpace& space) : proposer(p) {
    initial->id = 0;
    initial->program.files = {{"main.py", "print(1)\n"},
                              {"parameters.json", space.ValuesToJson(space.Defaults())}};
    initial->proposal.proposer = "initial";
    Finish(*initial, false);
  }
  void Finish(Candidate c, bool replayed) {
    c.result.outcome = Outcome::kOk;
    c.result.score = Fitness(c.program);
    c.result.metrics = {{"cost", Cost(c.program)}};
    proposer.OnResult(c, c.result.score, std::nullopt, replayed);
    finished.push_back(std::move(c));
  }
  void Run(int n, int jobs, uint64_t shuffle) {
    int proposed = 0;
    while (proposed < n || !in_flight.empty()) {
      while (proposed < n && static_cast<int>(in_flight.size()) < jobs) {
        ProposalRequest req;
        req.child_id = next_id;
        req.parent = initial;
        StatusOr<Proposal> p = proposer.Propose(req, {});
        ASSERT_TRUE(p.ok()) << p.status().ToString();
        Candidate c;
        c.id = next_id++;
        c.parent_id = 0;
        c.program = p->program;
        c.proposal = p->info;
        in_flight.push_back(std::move(c));
        ++proposed;
      }
      shuffle = shuffle * 6364136223846793005ull + 1442695040888963407ull;
      const size_t k = (shuffle >> 33) % in_flight.size();
      Candidate c = std::move(in_flight[k]);
      in_flight.erase(in_flight.begin() + static_cast<long>(k));
      Finish(std::move(c), false);
    }
  }
  double Best() const {
    double best = -1e300;
    for (const Candidate& c : finished) best = std::max(best, *c.result.score);
    return best;
  }
};

TEST(SearchProposerTest, ChildrenAreTheParentWithNewValues) {
  SearchProposerOptions o = Options(StrategyKind::kCmaes, Mixed());
  auto p = SearchProposer::Create(o);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  MiniEngine e(**p, o.search.parameters);
  e.Run(40, 1, 1);
  std::set<std::string> seen;
  for (size_t i = 1; i < e.finished.size(); ++i) {
    const Candidate& c = e.finished[i];
    ASSERT_EQ(c.program.files.size(), 2u);
    EXPECT_EQ(c.program.files[0].content, "print(1)\n");  // the program is kept
    EXPECT_TRUE(o.search.parameters.ValuesFromJson(c.program.files[1].content).ok());
    // No values are evaluated twice: repeats are answered from memory.
    EXPECT_TRUE(seen.insert(c.program.files[1].content).second) << c.program.files[1].content;
    EXPECT_EQ(c.proposal.proposer, "search");
    nlohmann::json d = nlohmann::json::parse(c.proposal.detail_json);
    EXPECT_EQ(d["strategy"], "cmaes");
    EXPECT_EQ(d["x"].size(), 3u);
  }
}

TEST(SearchProposerTest, FreeWorkersGetFillersWhileAGenerationIsOut) {
  SearchProposerOptions o = Options(StrategyKind::kDe, Mixed());
  o.search.population = 6;
  auto p = SearchProposer::Create(o);
  ASSERT_TRUE(p.ok());
  MiniEngine e(**p, o.search.parameters);
  e.Run(60, 4, 7);
  int fillers = 0;
  for (const Candidate& c : e.finished) fillers += c.proposal.operators == std::vector<std::string>{"filler"};
  EXPECT_GT(fillers, 0);
  EXPECT_LT(fillers, 30);
  EXPECT_THAT((*p)->UsageSummary(), ::testing::HasSubstr("de: "));
}

TEST(SearchProposerTest, ASmallIntegerSpaceIsCoveredWithoutRepeats) {
  SearchProposerOptions o = Options(StrategyKind::kCmaes, {Num("n", ParameterKind::kInt, 0, 5)});
  auto p = SearchProposer::Create(o);
  ASSERT_TRUE(p.ok());
  MiniEngine e(**p, o.search.parameters);
  e.Run(5, 1, 1);  // 6 values, the default (2 or 3) evaluated first
  std::set<std::string> seen;
  for (const Candidate& c : e.finished) seen.insert(c.program.Find("parameters.json")->content);
  EXPECT_EQ(seen.size(), 6u);
}

TEST(SearchProposerTest, BeatsRandomOnTheSameBudget) {
  double cmaes = 0, random = 0;
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    for (StrategyKind k : {StrategyKind::kCmaes, StrategyKind::kRandom}) {
      SearchProposerOptions o = Options(k, Mixed(), seed);
      auto p = SearchProposer::Create(o);
      MiniEngine e(**p, o.search.parameters);
      e.Run(150, 2, seed);
      (k == StrategyKind::kCmaes ? cmaes : random) += e.Best();
    }
  }
  EXPECT_GT(cmaes, random);
}

TEST(SearchProposerTest, ResumedFromReplayedResultsItProposesWhatTheRunWouldHave) {
  for (StrategyKind kind :
       {StrategyKind::kCmaes, StrategyKind::kRandom, StrategyKind::kSga, StrategyKind::kTpe}) {
    SCOPED_TRACE(StrategyKindName(kind));
    SearchProposerOptions o = Options(kind, Mixed());
    auto whole = SearchProposer::Create(o);
    MiniEngine a(**whole, o.search.parameters);
    a.Run(60, 1, 1);

    auto first = SearchProposer::Create(o);
    MiniEngine b(**first, o.search.parameters);
    b.Run(30, 1, 1);
    ProposerCheckpoint cp = (*first)->TakeCheckpoint();
    ASSERT_TRUE(cp.state.count(SearchProposer::kStateKey));

    // A new proposer: the engine replays the 31 finished candidates, then
    // restores the saved state, then proposes on.
    auto resumed = SearchProposer::Create(o);
    for (const Candidate& c : b.finished) {
      (*resumed)->OnResult(c, c.result.score, std::nullopt, /*replayed=*/true);
    }
    ASSERT_TRUE((*resumed)->RestoreState(cp.state).ok());
    MiniEngine c(**resumed, o.search.parameters);
    c.finished.clear();  // MiniEngine's constructor told the initial program again: harmless
    c.Run(30, 1, 1);
    for (int i = 0; i < 30; ++i) {
      EXPECT_EQ(c.finished[i].program, a.finished[31 + i].program) << "child " << i;
    }
  }
}

// With the proxy, each batch past the warmup is screened: the best predicted
// quarter is evaluated, the rest told the model's prediction and recorded in
// the kept children's detail; and the points it kept are truly better than
// those it screened out (the model predicts, it does not just pick).
TEST(SearchProposerTest, TheProxyEvaluatesTheBestPredictedShareOfEachBatch) {
  double kept_sum = 0, out_sum = 0;
  int kept_n = 0, out_n = 0;
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    SearchProposerOptions o = Options(StrategyKind::kRandom, Mixed(), seed);
    o.search.proxy.screen = 4;
    o.search.population = 12;
    auto p = SearchProposer::Create(o);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    MiniEngine e(**p, o.search.parameters);
    e.Run(60, 2, seed);
    const ParameterSpace& space = o.search.parameters;
    std::set<int64_t> batches;
    for (const Candidate& c : e.finished) {
      nlohmann::json d = nlohmann::json::parse(c.proposal.detail_json.empty() ? "{}" : c.proposal.detail_json);
      if (!d.contains("screen")) continue;
      const nlohmann::json& r = d["screen"];
      const auto xs = r["x"].get<std::vector<std::vector<double>>>();
      const auto kept = r["kept"].get<std::vector<size_t>>();
      EXPECT_EQ(kept.size(), (xs.size() + 3) / 4);
      EXPECT_EQ(r["predicted"].size(), xs.size());
      bool mine = false;
      for (size_t i : kept) mine |= xs[i] == d["x"].get<std::vector<double>>();
      EXPECT_TRUE(mine) << "a kept child is one of its batch's kept points";
      if (!batches.insert(r["batch"].get<int64_t>()).second) continue;
      for (size_t i = 0; i < xs.size(); ++i) {
        Program prog;
        prog.files = {{"parameters.json", space.ValuesToJson(space.Decode(xs[i]))}};
        const bool k = std::find(kept.begin(), kept.end(), i) != kept.end();
        (k ? kept_sum : out_sum) += Fitness(prog);
        ++(k ? kept_n : out_n);
      }
    }
    EXPECT_GE(batches.size(), 8u);
    EXPECT_THAT((*p)->UsageSummary(), ::testing::HasSubstr("screened out"));
  }
  ASSERT_GT(kept_n, 0);
  ASSERT_GT(out_n, 2 * kept_n);
  EXPECT_GT(kept_sum / kept_n, out_sum / out_n + 0.5)
      << "kept " << kept_sum / kept_n << ", screened out " << out_sum / out_n;
}

// The proxy's decisions are recorded (the kept children carry their batch)
// or re-derived from the same results, so a resume — cut anywhere in a
// batch — proposes what the uninterrupted run would have.
TEST(SearchProposerTest, WithTheProxyAResumeProposesWhatTheRunWouldHave) {
  for (StrategyKind kind : {StrategyKind::kCmaes, StrategyKind::kRandom, StrategyKind::kDe}) {
    for (int split : {26, 29, 30}) {
      SCOPED_TRACE(fmt::format("{} split {}", StrategyKindName(kind), split));
      SearchProposerOptions o = Options(kind, Mixed());
      o.search.proxy.screen = 3;
      o.search.proxy.warmup = 8;
      auto whole = SearchProposer::Create(o);
      ASSERT_TRUE(whole.ok()) << whole.status().ToString();
      MiniEngine a(**whole, o.search.parameters);
      a.Run(split + 24, 1, 1);

      auto first = SearchProposer::Create(o);
      MiniEngine b(**first, o.search.parameters);
      b.Run(split, 1, 1);
      // One more child proposed and recorded, then the kill: the engine
      // evaluates it again after the resume (OnRestoredInFlight).
      ProposalRequest req;
      req.parent = b.initial;
      StatusOr<Proposal> pending = (*first)->Propose(req, {});
      ASSERT_TRUE(pending.ok());
      ProposerCheckpoint cp = (*first)->TakeCheckpoint();
      auto resumed = SearchProposer::Create(o);
      for (const Candidate& c : b.finished) {
        (*resumed)->OnResult(c, c.result.score, std::nullopt, /*replayed=*/true);
      }
      Candidate in_flight;
      in_flight.id = split + 1;
      in_flight.parent_id = 0;
      in_flight.program = pending->program;
      in_flight.proposal = pending->info;
      (*resumed)->OnRestoredInFlight(in_flight);
      ASSERT_TRUE((*resumed)->RestoreState(cp.state).ok());
      MiniEngine c(**resumed, o.search.parameters);
      c.finished.clear();
      c.Finish(in_flight, false);
      c.next_id = split + 2;
      c.Run(23, 1, 1);
      int screened = 0;
      for (int i = 0; i < 24; ++i) {
        EXPECT_EQ(c.finished[i].program, a.finished[split + 1 + i].program) << "child " << i;
        // The same batches, predictions and choices, not merely the same points.
        EXPECT_EQ(c.finished[i].proposal.detail_json, a.finished[split + 1 + i].proposal.detail_json)
            << "child " << i;
        screened += c.finished[i].proposal.detail_json.find("\"screen\"") != std::string::npos;
      }
      EXPECT_GT(screened, 0);  // the resumed part did screen
    }
  }
}

TEST(SearchProposerTest, TheProxyModelsOneObjective) {
  SearchProposerOptions o = Options(StrategyKind::kNsga2, Mixed());
  o.objectives = {{"score", Direction::kMaximize}, {"cost", Direction::kMinimize}};
  o.search.proxy.screen = 4;
  EXPECT_THAT(SearchProposer::Create(o).status().message(), ::testing::StartsWith("search.proxy: models one"));
  o.search.strategy = StrategyKind::kCmaes;  // told the first objective alone
  EXPECT_TRUE(SearchProposer::Create(o).ok());
}

// The finished children that no other dominates under (score max, cost min).
std::vector<const Candidate*> NonDominatedOf(const std::vector<Candidate>& all) {
  std::vector<const Candidate*> front;
  for (const Candidate& a : all) {
    const double sa = *a.result.score, ca = a.result.metrics.at("cost");
    bool dominated = false;
    for (const Candidate& b : all) {
      const double sb = *b.result.score, cb = b.result.metrics.at("cost");
      dominated |= sb >= sa && cb <= ca && (sb > sa || cb < ca);
    }
    if (!dominated) front.push_back(&a);
  }
  return front;
}

// The area the front dominates above the reference (score -10, cost 5).
double Hypervolume2(std::vector<const Candidate*> front) {
  std::sort(front.begin(), front.end(), [](const Candidate* a, const Candidate* b) {
    return *a->result.score > *b->result.score;
  });
  double area = 0, cost_bound = 5;
  for (const Candidate* c : front) {
    const double cost = c->result.metrics.at("cost");
    if (cost >= cost_bound || *c->result.score <= -10) continue;
    area += (*c->result.score + 10) * (cost_bound - cost);
    cost_bound = cost;
  }
  return area;
}

// With `objectives:` NSGA-II is told both losses and spreads its points
// along the front (x from -1 to 0.5); CMA-ES, told the first objective
// alone, climbs towards x = 0.5: NSGA-II's front dominates more.
TEST(SearchProposerTest, Nsga2WithTwoObjectivesSpreadsAlongTheFront) {
  const std::vector<Objective> two = {{"score", Direction::kMaximize},
                                      {"cost", Direction::kMinimize}};
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    double hv[2] = {};
    for (StrategyKind kind : {StrategyKind::kNsga2, StrategyKind::kCmaes}) {
      SearchProposerOptions o = Options(kind, Mixed(), seed);
      o.objectives = two;
      auto p = SearchProposer::Create(o);
      ASSERT_TRUE(p.ok()) << p.status().ToString();
      MiniEngine e(**p, o.search.parameters);
      e.Run(200, 2, seed);
      const std::vector<const Candidate*> front = NonDominatedOf(e.finished);
      hv[kind == StrategyKind::kCmaes] = Hypervolume2(front);
      if (kind != StrategyKind::kNsga2) continue;
      double lo = 1e9, hi = -1e9;
      std::set<double> xs;
      for (const Candidate* c : front) {
        const double x = nlohmann::json::parse(c->program.Find("parameters.json")->content)["x"];
        lo = std::min(lo, x);
        hi = std::max(hi, x);
        xs.insert(x);
      }
      EXPECT_GE(xs.size(), 8u) << "seed " << seed;
      EXPECT_LT(lo, -0.6) << "seed " << seed;
      EXPECT_GT(hi, 0.2) << "seed " << seed;
    }
    EXPECT_GT(hv[0], hv[1]) << "seed " << seed;
  }
}

TEST(SearchProposerTest, ObjectivesAreTwoOrMoreOrNone) {
  SearchProposerOptions o = Options(StrategyKind::kNsga2, Mixed());
  o.objectives = {{"score", Direction::kMaximize}};
  EXPECT_EQ(SearchProposer::Create(o).status().code(), StatusCode::kInvalidArgument);
  o.objectives.push_back({"cost", Direction::kMinimize});
  EXPECT_TRUE(SearchProposer::Create(o).ok());
}

TEST(SearchProposerTest, CreateRefusesAnEmptySpace) {
  EXPECT_EQ(SearchProposer::Create(Options(StrategyKind::kCmaes, {})).status().message(),
            "the search proposer needs a `parameters:` section");
  EXPECT_EQ(SearchProposer::Create(Options(StrategyKind::kNsga2, Mixed())).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace crucible
