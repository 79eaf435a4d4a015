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
//
// With --proxy SCREEN [--target T], each strategy is run with the proxy off
// and on (search.proxy.screen = SCREEN, docs/search.md "The proxy model"),
// alternating per seed, and the table gives the best train score at the
// budget and the evaluations (simulator calls) it took to reach train score
// T (default 64.5), "-" when the run never did.
//
//   search_bench --proxy 4 [--target 64.5] [BUDGET] [STRATEGY...]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "problems/cant_be_late_policy/src/harness.h"
#include "problems/cant_be_late_policy/src/policy.h"
#include "core/rng.h"
#include "propose/search/search_proposer.h"
#include "search/gp_proxy.h"

namespace crucible {
namespace {

struct StrategyRun {
  double best_train = -1e300;
  int reached_at = -1;  // evaluations when best_train first reached the target
  double mean_train = 0;  // of every valid evaluation (a sum until RunOne returns)
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

StrategyRun RunOne(StrategyKind kind, uint64_t seed, int budget, int jobs, int screen = 0,
                   double target = 1e300) {
  SearchProposerOptions o;
  o.search.parameters = cblp::PolicySpace();
  o.search.strategy = kind;
  o.search.proxy.screen = screen;
  o.seed = seed;
  auto proposer = SearchProposer::Create(o);
  if (!proposer.ok()) {
    std::fprintf(stderr, "%s\n", proposer.status().ToString().c_str());
    std::exit(1);
  }
  StrategyRun out;
  auto initial = std::make_shared<Candidate>();
  initial->program.files = {{"parameters.json", o.search.parameters.ValuesToJson(o.search.parameters.Defaults())}};
  int evaluated = 0, valid = 0;
  auto finish = [&](Candidate& c) {
    const std::string& values = c.program.files[0].content;
    const double s = Score(values, "train");
    c.result.outcome = s > -1e300 ? Outcome::kOk : Outcome::kInvalid;
    if (s > out.best_train) {
      out.best_train = s;
      out.best_values = values;
      if (s >= target && out.reached_at < 0) out.reached_at = evaluated;
    }
    ++evaluated;
    if (s > -1e300) out.mean_train += s, ++valid;
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
  out.mean_train /= std::max(valid, 1);
  out.heldout = Score(out.best_values, "heldout", &out.heldout_cost);
  return out;
}

// Ranks (0 = smallest) of v, ties in index order.
std::vector<double> Ranks(const std::vector<double>& v) {
  std::vector<size_t> order(v.size());
  for (size_t i = 0; i < v.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  std::vector<double> rank(v.size());
  for (size_t r = 0; r < order.size(); ++r) rank[order[r]] = static_cast<double>(r);
  return rank;
}

// How well the proxy predicts on this space: fit on `n` uniform points,
// predict `n` others; Spearman's rank correlation, and the share of the
// predicted best quarter that is in the true best quarter (chance: 0.25).
void ProxyAccuracy(int n, uint64_t seed) {
  const ParameterSpace& space = cblp::PolicySpace();
  std::vector<std::vector<double>> xs;
  std::vector<double> ys;
  for (int i = 0; i < 2 * n; ++i) {
    Rng rng(DeriveSeed(seed, static_cast<uint64_t>(i)));
    std::vector<double> u(space.size());
    for (double& v : u) v = rng.UniformDouble();
    const std::vector<ParameterValue> values = space.Decode(u);
    xs.push_back(space.Encode(values));
    ys.push_back(-Score(space.ValuesToJson(values), "train"));
  }
  GpProxy proxy;
  Status s = proxy.Fit({xs.begin(), xs.begin() + n}, {ys.begin(), ys.begin() + n});
  if (!s.ok()) {
    std::printf("fit failed: %s\n", s.ToString().c_str());
    return;
  }
  std::vector<double> truth(ys.begin() + n, ys.end()), predicted;
  for (int i = n; i < 2 * n; ++i) predicted.push_back(proxy.Predict(xs[static_cast<size_t>(i)]).mean);
  const std::vector<double> rt = Ranks(truth), rp = Ranks(predicted);
  double d2 = 0;
  int both = 0;
  for (int i = 0; i < n; ++i) {
    d2 += (rt[i] - rp[i]) * (rt[i] - rp[i]);
    both += rt[i] < n / 4.0 && rp[i] < n / 4.0;
  }
  const double spearman = 1 - 6 * d2 / (static_cast<double>(n) * (static_cast<double>(n) * n - 1));
  std::printf("| %d | %llu | %.3f | %.2f | %.2f | %g |\n", n, static_cast<unsigned long long>(seed),
              spearman, both / std::floor(n / 4.0 + 0.75), proxy.length_scale(), proxy.noise());
}

std::string Mean(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return fmt::format("{:.2f}", sum / static_cast<double>(v.size()));
}

// Proxy off against on, per strategy and seed; returns main's exit code.
int CompareProxy(const std::vector<StrategyKind>& kinds, int budget, int screen, double target) {
  std::printf("| strategy | proxy | best train at %d, seeds 1 / 2 / 3 | mean | evaluations to reach %.1f | "
              "reached | held-out mean | mean train score of all evaluations | seconds |\n",
              budget, target);
  std::printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
  for (StrategyKind k : kinds) {
    std::vector<StrategyRun> runs[2];
    double seconds[2] = {0, 0};
    for (uint64_t seed = 1; seed <= 3; ++seed) {
      for (int arm = 0; arm < 2; ++arm) {  // alternated, so load drifts hit both
        const auto start = std::chrono::steady_clock::now();
        runs[arm].push_back(RunOne(k, seed, budget, 2, arm ? screen : 0, target));
        seconds[arm] += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      }
    }
    for (int arm = 0; arm < 2; ++arm) {
      std::vector<double> best, heldout, mean;
      std::string bests, reach;
      int reached = 0;
      for (const StrategyRun& r : runs[arm]) {
        best.push_back(r.best_train);
        heldout.push_back(r.heldout);
        mean.push_back(r.mean_train);
        bests += fmt::format("{}{:.2f}", bests.empty() ? "" : " / ", r.best_train);
        reach += fmt::format("{}{}", reach.empty() ? "" : " / ",
                             r.reached_at < 0 ? std::string("-") : std::to_string(r.reached_at));
        reached += r.reached_at >= 0;
      }
      std::printf("| %s | %s | %s | %s | %s | %d of 3 | %s | %s | %.0f |\n",
                  std::string(StrategyKindName(k)).c_str(),
                  arm ? fmt::format("screen {}", screen).c_str() : "off", bests.c_str(), Mean(best).c_str(),
                  reach.c_str(), reached, Mean(heldout).c_str(), Mean(mean).c_str(), seconds[arm]);
      std::fflush(stdout);
    }
  }
  return 0;
}

}  // namespace
}  // namespace crucible

int main(int argc, char** argv) {
  using namespace crucible;
  int screen = 0;
  double target = 64.5;
  int first = 1;
  while (first + 1 < argc && argv[first][0] == '-' && argv[first][1] == '-') {
    const std::string flag = argv[first];
    if (flag == "--proxy-accuracy") {
      std::printf("| training points | seed | Spearman | best-quarter precision | length scale | noise |\n");
      std::printf("| --- | --- | --- | --- | --- | --- |\n");
      for (uint64_t seed = 1; seed <= 3; ++seed) ProxyAccuracy(std::atoi(argv[first + 1]), seed);
      return 0;
    }
    if (flag == "--proxy") {
      screen = std::atoi(argv[first + 1]);
    } else if (flag == "--target") {
      target = std::atof(argv[first + 1]);
    } else {
      return std::fprintf(stderr, "unknown flag %s\n", flag.c_str()), 2;
    }
    first += 2;
  }
  const int budget = argc > first ? std::atoi(argv[first]) : 100;
  std::vector<StrategyKind> kinds;
  for (int i = first + 1; i < argc; ++i) {
    std::optional<StrategyKind> k = ParseStrategyKind(argv[i]);
    if (!k) return std::fprintf(stderr, "unknown strategy %s\n", argv[i]), 2;
    kinds.push_back(*k);
  }
  if (kinds.empty()) {
    kinds = {StrategyKind::kRandom, StrategyKind::kCmaes, StrategyKind::kXnes, StrategyKind::kDe,
             StrategyKind::kPso, StrategyKind::kSga};
  }
  if (screen > 0) return CompareProxy(kinds, budget, screen, target);
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
