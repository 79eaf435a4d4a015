// SearchProposer: the proposer of a problem with a declared parameter space
// (docs/search.md). Each child is the parent's program with its
// parameters.json replaced by the values of one point asked of a search
// strategy (src/search/); each finished child's result is told back. The
// archive, the store and the evaluator see ordinary candidates.
//
// Keeping --jobs busy: a pagmo strategy hands out a generation at a time;
// when it is all out being evaluated and a worker is free, the proposer
// evaluates a *filler*, a uniform point from its own seeded stream (marked
// "filler" in the child's record), rather than leave the worker idle.
// Points whose values were already evaluated (integer and categorical
// parameters make different points share values) are answered from memory,
// without a candidate; points whose values are being evaluated wait for
// that result.
//
// The proxy (options.search.proxy, docs/search.md "The proxy model"): once
// enough results are known, the proposer asks the strategy for a whole batch
// (a generation), fits a Gaussian process to the known results (GpProxy),
// and evaluates only the best 1/screen of the batch by its prediction; the
// others are told the predicted loss instead of a simulator's. Every kept
// child records the batch, the predictions and which were kept ("screen" in
// its proposal detail), so a resume re-tells the screened-out points and
// queues the kept ones not yet evaluated. Fillers are screened too: the
// best predicted of `screen` uniform draws.
//
// Resume: the engine replays every finished child (OnResult, replayed);
// the child's record holds the exact point, so the strategy is told the
// same results again and, with its saved state (RestoreState), asks what
// the interrupted run would have asked next (search/strategy.h).
//
// Thread safety: the engine calls Propose inline on its orchestrator
// thread, as it does the hooks; a mutex guards the state anyway, so calling
// Propose from workers is also safe.
#ifndef CRUCIBLE_PROPOSE_SEARCH_SEARCH_PROPOSER_H_
#define CRUCIBLE_PROPOSE_SEARCH_SEARCH_PROPOSER_H_

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/objective.h"
#include "propose/proposer.h"
#include "search/gp_proxy.h"
#include "search/search_options.h"
#include "search/strategy.h"

namespace crucible {

struct SearchProposerOptions {
  SearchOptions search;  // the space (not empty) and the strategy
  uint64_t seed = 0;     // the run's seed
  // problem.yaml's `objectives:` (two or more; empty with one objective).
  // nsga2 and random are told one loss per objective; the other strategies
  // optimise one number and are told the first objective's.
  std::vector<Objective> objectives;
  // InvalidArgument: no space, one objective in the list, the proxy with a
  // strategy told several losses (it models one), or the search options'.
  Status Validate() const;
};

class SearchProposer : public Proposer {
 public:
  // InvalidArgument from the options or the strategy's options.
  static StatusOr<std::unique_ptr<SearchProposer>> Create(SearchProposerOptions options);

  StatusOr<Proposal> Propose(const ProposalRequest& request, std::stop_token stop) override;
  std::string_view Name() const override { return "search"; }
  bool RunsInline() const override { return true; }
  void OnResult(const Candidate& child, std::optional<double> child_fitness,
                std::optional<double> parent_fitness, bool replayed) override;
  // A child proposed before a kill and evaluated again after the resume: its
  // values are in flight, and its batch record (proxy) is re-applied as a
  // replayed child's would be.
  void OnRestoredInFlight(const Candidate& child) override;
  ProposerCheckpoint TakeCheckpoint() override;
  std::vector<std::string> StateKeys() const override { return {kStateKey}; }
  Status RestoreState(const std::map<std::string, std::string>& state) override;
  std::string UsageSummary() const override;

  static constexpr const char* kStateKey = "search.strategy";

 private:
  using Point = std::vector<double>;
  SearchProposer(SearchProposerOptions options, std::unique_ptr<Strategy> strategy, int batch);

  // The next point to evaluate and, for a filler, its index (else -1), and
  // the proposal detail's extra fields (caller holds mu_).
  struct Next {
    Point x;
    int64_t filler = -1;
    int64_t fillers_next = -1;  // a screened filler: the next unused filler index
    std::string screen;         // the kept child's batch record (JSON), or empty
  };
  StatusOr<Next> NextPoint();
  // Asks a batch, keeps the best by the proxy in pending_ and tells the rest
  // their predictions. False when the strategy handed out nothing new.
  StatusOr<bool> ScreenBatch();
  // A filler: one uniform draw, or the best predicted of `screen` draws.
  Next NextFiller();
  // Fits proxy_ to the known results; false below the warmup.
  bool FitProxy();
  // A replayed child's batch record: re-tell and re-queue (resume).
  void ReplayScreen(const Point& x, const nlohmann::json& record);
  // The child's point (its record, or its values encoded) and values key.
  bool PointOf(const Candidate& c, Point& x, std::string& key) const;
  void TellAll(const std::string& key, const Point& x, const Point& losses);
  // The losses of a finished child: one per objective the strategy is told.
  Point LossesOf(const Candidate& child, std::optional<double> child_fitness) const;

  const SearchProposerOptions options_;
  const size_t losses_;  // per result: objectives.size() for nsga2/random, else 1
  const int batch_;      // points a screening asks for: the strategy's population
  mutable std::mutex mu_;
  std::unique_ptr<Strategy> strategy_;               // guarded by mu_
  std::map<std::string, Point> known_;               // values -> losses; guarded
  std::map<std::string, std::vector<Point>> waiting_;  // values in flight -> points waiting; guarded
  std::set<std::string> in_flight_;                  // values being evaluated; guarded
  int64_t fillers_ = 0;                              // guarded
  int64_t from_memory_ = 0;                          // guarded
  // The proxy (all guarded): the model, the kept points of the latest batch
  // not yet proposed (best first), that batch's record and number.
  GpProxy proxy_;
  std::deque<Point> pending_;
  std::string screen_record_;
  int64_t screenings_ = 0;    // batches screened (the next batch's number)
  int64_t screened_out_ = 0;  // points told a prediction instead of evaluated
  size_t fitted_known_ = 0;   // known_.size() at the last fit (known_ only grows)
  bool proxy_fitted_ = false;
};

}  // namespace crucible

#endif  // CRUCIBLE_PROPOSE_SEARCH_SEARCH_PROPOSER_H_
