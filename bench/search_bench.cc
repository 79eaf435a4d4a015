// search_bench: each search strategy against random search on the
// cant_be_late_policy design space (docs/search.md's table), with the same
// evaluation budget and three seeds.
//
// The search proposer (src/propose/search/) proposes exactly as in a run
// (fillers, values answered from memory); the evaluations call the
// problem's harness in this process instead of a sandboxed
// `crucible harness` per candidate, which changes nothing in the numbers
// (the harness is deterministic) and saves the process start-ups. Two
// children are in flight, told back oldest first, like `--jobs 2
// --deterministic`. The best program by train score is then scored on the
// held-out split, as `heldout: true` does at the end of a run.
//
//   search_bench [BUDGET] [STRATEGY...]    (default 100; all strategies)
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "problems/cant_be_late_policy/src/harness.h"
#include "problems/cant_be_late_policy/src/policy.h"
#include "propose/search/search_proposer.h"

namespace crucible {
namespace {

struct StrategyRun {
  double best_train = -1e300;
  std::string best_values;
  double heldout = 0;
  double heldout_cost = 0;
  int fillers = 0;
};

double Score(const std::string& values, const std::string& split, double* cost = nullptr) {
  StatusOr<HarnessReport> r = cblp::EvaluateParameters(values, split);
  if (!r.ok() || !r->valid || !r->score) return -1e300;
  if (cost) *cost = r->metrics.at("mean_cost");
  return *r->score;
}

StrategyRun RunOne(StrategyKind kind, uint64_t seed, int budget, int jobs) {
  SearchProposerOptions o;
  o.search.parameters = cblp::PolicySpace();
  o.search.strategy = kind;
  o.seed = seed;
  auto proposer = SearchProposer::Create(o);
  if (!proposer.ok()) {
    std::fprintf(stderr, "%s\n", proposer.status().ToString().c_str());
    std::exit(1);
  }
  StrategyRun out;
  auto initial = std::make_shared<Candidate>();
  initial->program.files = {{"parameters.json", o.search.parameters.ValuesToJson(o.search.parameters.Defaults())}};
  auto finish = [&](Candidate& c) {
    const std::string& values = c.program.files[0].content;
    const double s = Score(values, "train");
    c.result.outcome = s > -1e300 ? Outcome::kOk : Outcome::kInvalid;
    if (s > out.best_train) {
      out.best_train = s;
      out.best_values = values;
    }
    (*proposer)->OnResult(c, s > -1e300 ? std::optional<double>(s) : std::nullopt, std::nullopt, false);
  };
  finish(*initial);
  std::deque<Candidate> in_flight;
  int proposed = 0;
  while (proposed < budget || !in_flight.empty()) {
    while (proposed < budget && static_cast<int>(in_flight.size()) < jobs) {
      ProposalRequest req;
      req.parent = initial;
      StatusOr<Proposal> p = (*proposer)->Propose(req, {});
      if (!p.ok()) {
        std::fprintf(stderr, "%s\n", p.status().ToString().c_str());
        std::exit(1);
      }
      Candidate c;
      c.program = p->program;
      c.proposal = p->info;
      out.fillers += c.proposal.operators == std::vector<std::string>{"filler"};
      in_flight.push_back(std::move(c));
      ++proposed;
    }
    finish(in_flight.front());
    in_flight.pop_front();
  }
  out.heldout = Score(out.best_values, "heldout", &out.heldout_cost);
  return out;
}

}  // namespace
}  // namespace crucible

int main(int argc, char** argv) {
  using namespace crucible;
  const int budget = argc > 1 ? std::atoi(argv[1]) : 100;
  std::vector<StrategyKind> kinds;
  for (int i = 2; i < argc; ++i) {
    std::optional<StrategyKind> k = ParseStrategyKind(argv[i]);
    if (!k) return std::fprintf(stderr, "unknown strategy %s\n", argv[i]), 2;
    kinds.push_back(*k);
  }
  if (kinds.empty()) {
    kinds = {StrategyKind::kRandom, StrategyKind::kCmaes, StrategyKind::kXnes, StrategyKind::kDe,
             StrategyKind::kPso, StrategyKind::kSga};
  }
  std::printf("| strategy | seed | best train score | its held-out score | held-out mean cost | fillers |\n");
  std::printf("| --- | --- | --- | --- | --- | --- |\n");
  for (StrategyKind k : kinds) {
    double train = 0, heldout = 0;
    for (uint64_t seed = 1; seed <= 3; ++seed) {
      StrategyRun o = RunOne(k, seed, budget, 2);
      train += o.best_train / 3;
      heldout += o.heldout / 3;
      std::printf("| %s | %llu | %.3f | %.3f | %.4f | %d |\n", std::string(StrategyKindName(k)).c_str(),
                  static_cast<unsigned long long>(seed), o.best_train, o.heldout, o.heldout_cost,
                  o.fillers);
      std::fprintf(stderr, "%s seed %llu best %s", std::string(StrategyKindName(k)).c_str(),
                   static_cast<unsigned long long>(seed), o.best_values.c_str());
      std::fflush(stdout);
    }
    std::printf("| **%s mean** | | **%.3f** | **%.3f** | | |\n", std::string(StrategyKindName(k)).c_str(),
                train, heldout);
  }
  return 0;
}
