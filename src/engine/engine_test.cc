#include "engine/engine.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <filesystem>
#include <set>
#include <thread>

#include "core/hash.h"
#include "core/rng.h"
#include "engine/run.h"
#include "problems/registry.h"

namespace crucible {
namespace {

namespace fs = std::filesystem;

// Programs are "x = N\n" (children add a salt line "y = S"); children
// move N by a seeded step.
class StepProposer final : public Proposer {
 public:
  explicit StepProposer(bool identical = false) : identical_(identical) {}
  StatusOr<Proposal> Propose(const ProposalRequest& req, std::stop_token) override {
    Proposal p;
    const long x = std::stol(req.parent->program.files[0].content.substr(4));
    Rng rng(req.seed);
    if (identical_) {
      p.program = req.parent->program;
    } else {
      // A salt line keeps children distinct: with small steps alone, a run
      // that keeps choosing the best parent soon proposes only programs it
      // has seen, and the stall detector (rightly) ends it early.
      const long step = rng.UniformInt(-5, 5);
      const long salt = rng.UniformInt(0, 1'000'000'000);
      p.program.files.push_back(
          {"p.py", "x = " + std::to_string(x + step) + "\ny = " + std::to_string(salt) + "\n"});
    }
    p.info.proposer = "step";
    p.info.operators = {"step"};
    return p;
  }
  std::string_view Name() const override { return "step"; }

 private:
  bool identical_;
};

// Scores -|x - 42|; optionally sleeps a seeded random time to shuffle
// completion order.
class DistanceEvaluator final : public Evaluator {
 public:
  explicit DistanceEvaluator(bool jitter = false) : jitter_(jitter) {}
  EvalResult Evaluate(const EvalRequest& req, std::stop_token) override {
    ++calls;
    if (jitter_) {
      Rng rng(req.seed ^ 0x5eed);
      std::this_thread::sleep_for(std::chrono::microseconds(rng.UniformInt(0, 3000)));
    }
    const long x = std::stol(req.program->files[0].content.substr(4));
    EvalResult r;
    r.outcome = Outcome::kOk;
    r.score = -std::abs(static_cast<double>(x - 42));
    r.stage = "full";
    return r;
  }
  std::string Describe() const override { return "in-process"; }
  std::atomic<int> calls{0};

 private:
  bool jitter_;
};

class StopAfter final : public EngineObserver {
 public:
  StopAfter(int n, std::stop_source& s) : n_(n), s_(s) {}
  void OnCandidate(const Candidate&, std::optional<double>, bool) override {
    if (--n_ == 0) s_.request_stop();
  }

 private:
  int n_;
  std::stop_source& s_;
};

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/crucible-enginetest-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<RunStore> NewStore(const std::string& name, DistanceEvaluator& eval) {
    auto store = RunStore::Create((dir_ / name).string(), RunMetadata{});
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    Candidate c;
    c.id = 0;
    c.program.files.push_back({"p.py", "x = 0\n"});
    c.source_hash = NormalizedProgramHash(c.program);
    c.proposal.proposer = "initial";
    EvalRequest req{0, &c.program, 0, Split::kTrain};
    c.result = eval.Evaluate(req, {});
    EXPECT_TRUE((*store)->InsertDone(c).ok());
    return std::move(store).value();
  }

  EngineOptions Options(int64_t evaluations, int jobs, bool deterministic) {
    EngineOptions o;
    o.jobs = jobs;
    o.deterministic = deterministic;
    o.seed = 7;
    o.budget.evaluations = evaluations;
    return o;
  }

  std::unique_ptr<Archive> NewArchive() {
    ArchiveOptions a;
    a.num_islands = 2;
    a.migration_interval = 10;
    return std::move(Archive::Create(a)).value();
  }

  fs::path dir_;
  SystemClock clock_;
};

TEST_F(EngineTest, ReachesTheEvaluationBudgetAndImproves) {
  DistanceEvaluator eval;
  auto store = NewStore("a.db", eval);
  auto archive = NewArchive();
  StepProposer proposer;
  Engine engine(Options(60, 3, false), *store, *archive, proposer, eval, clock_);
  ASSERT_TRUE(engine.Restore().ok());
  auto summary = engine.Run({});
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->reason, StopReason::kEvaluationBudget);
  EXPECT_EQ(summary->progress.evaluations, 60);
  EXPECT_GT(*summary->progress.best_value, -42.0);
  auto rows = store->LoadCandidates();
  ASSERT_TRUE(rows.ok());
  std::set<CandidateId> ids;
  int evaluated = 0;
  for (const CandidateRow& r : *rows) {
    EXPECT_EQ(r.status, CandidateStatus::kDone);
    ids.insert(r.candidate.id);
    const Outcome o = r.candidate.result.outcome;
    if (r.candidate.id != 0 && o != Outcome::kDuplicate && o != Outcome::kRejected) ++evaluated;
  }
  EXPECT_EQ(ids.size(), rows->size());
  EXPECT_EQ(evaluated, 60);
  EXPECT_EQ(eval.calls.load(), 61);  // the initial program, then 60 children
}

TEST_F(EngineTest, DuplicatesAreNeverEvaluatedAndAStalledProposerStops) {
  DistanceEvaluator eval;
  auto store = NewStore("a.db", eval);
  auto archive = NewArchive();
  StepProposer proposer(/*identical=*/true);
  EngineOptions o = Options(50, 2, false);
  o.max_unevaluated_in_a_row = 20;
  Engine engine(o, *store, *archive, proposer, eval, clock_);
  ASSERT_TRUE(engine.Restore().ok());
  auto summary = engine.Run({});
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->reason, StopReason::kProposerStalled);
  EXPECT_EQ(eval.calls.load(), 1);
  // The stall is seen at the 20th duplicate; the other child in flight
  // (jobs = 2) still finishes.
  EXPECT_GE(summary->progress.outcomes[Outcome::kDuplicate], 20);
  EXPECT_LE(summary->progress.outcomes[Outcome::kDuplicate], 21);
}

TEST_F(EngineTest, TargetStopsTheRun) {
  DistanceEvaluator eval;
  auto store = NewStore("a.db", eval);
  auto archive = NewArchive();
  StepProposer proposer;
  EngineOptions o = Options(100000, 2, false);
  o.budget.target = -30;
  Engine engine(o, *store, *archive, proposer, eval, clock_);
  ASSERT_TRUE(engine.Restore().ok());
  auto summary = engine.Run({});
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->reason, StopReason::kTargetReached);
  EXPECT_GE(*summary->progress.best_value, -30.0);
}

std::vector<std::pair<std::string, double>> Trace(RunStore& store) {
  std::vector<std::pair<std::string, double>> t;
  auto rows = store.LoadCandidates();
  for (const CandidateRow& r : *rows) {
    t.emplace_back(r.candidate.program.files.empty() ? "" : r.candidate.program.files[0].content,
                   r.candidate.result.score.value_or(-1e9));
  }
  return t;
}

TEST_F(EngineTest, DeterministicModeGivesTheSameRunWhateverTheTiming) {
  std::vector<std::pair<std::string, double>> traces[2];
  for (int i = 0; i < 2; ++i) {
    DistanceEvaluator eval(/*jitter=*/true);
    auto store = NewStore(fmt::format("d{}.db", i), eval);
    auto archive = NewArchive();
    StepProposer proposer;
    Engine engine(Options(80, 3, true), *store, *archive, proposer, eval, clock_);
    ASSERT_TRUE(engine.Restore().ok());
    ASSERT_TRUE(engine.Run({}).ok());
    traces[i] = Trace(*store);
  }
  EXPECT_EQ(traces[0].size(), traces[1].size());
  EXPECT_EQ(traces[0], traces[1]);
}

TEST_F(EngineTest, ResumeAfterAStopLosesNothingAndCountsNothingTwice) {
  DistanceEvaluator eval(/*jitter=*/true);
  auto store = NewStore("r.db", eval);
  {
    auto archive = NewArchive();
    StepProposer proposer;
    std::stop_source stop;
    StopAfter observer(15, stop);
    Engine engine(Options(50, 3, false), *store, *archive, proposer, eval, clock_, &observer);
    ASSERT_TRUE(engine.Restore().ok());
    auto s = engine.Run(stop.get_token());
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->reason, StopReason::kInterrupted);
  }
  auto mid = store->LoadCandidates();
  ASSERT_TRUE(mid.ok());
  EXPECT_LT(mid->size(), 51u);
  {
    auto archive = NewArchive();
    StepProposer proposer;
    Engine engine(Options(50, 3, false), *store, *archive, proposer, eval, clock_);
    ASSERT_TRUE(engine.Restore().ok());
    auto s = engine.Run({});
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->reason, StopReason::kEvaluationBudget);
    EXPECT_EQ(s->progress.evaluations, 50);
  }
  int evaluated = 0;
  std::set<CandidateId> ids;
  auto rows = store->LoadCandidates();
  for (const CandidateRow& r : *rows) {
    EXPECT_EQ(r.status, CandidateStatus::kDone) << r.candidate.id;
    EXPECT_TRUE(ids.insert(r.candidate.id).second);
    const Outcome o = r.candidate.result.outcome;
    if (r.candidate.id != 0 && o != Outcome::kDuplicate && o != Outcome::kRejected) ++evaluated;
  }
  EXPECT_EQ(evaluated, 50);
}

TEST_F(EngineTest, ChildrenPendingAtAResumeAreAnnouncedToTheProposerBeforeTheirResult) {
  // The LLM proposer holds them in its novelty index meanwhile (docs/llm.md).
  class Watcher final : public Proposer {
   public:
    StatusOr<Proposal> Propose(const ProposalRequest& req, std::stop_token stop) override {
      return step_.Propose(req, stop);
    }
    std::string_view Name() const override { return "step"; }
    void OnRestoredInFlight(const Candidate& child) override {
      log.push_back("held #" + std::to_string(child.id));
    }
    void OnResult(const Candidate& child, std::optional<double>, std::optional<double>,
                  bool replayed) override {
      if (!replayed) log.push_back("result #" + std::to_string(child.id));
    }
    std::vector<std::string> log;

   private:
    StepProposer step_;
  };
  DistanceEvaluator eval;
  auto store = NewStore("p.db", eval);
  Candidate pending;
  pending.id = 1;
  pending.parent_id = 0;
  pending.program.files.push_back({"p.py", "x = 7\n"});
  pending.source_hash = NormalizedProgramHash(pending.program);
  pending.proposal.proposer = "step";
  ASSERT_TRUE(store->InsertPending(pending).ok());
  auto archive = NewArchive();
  Watcher proposer;
  Engine engine(Options(1, 1, true), *store, *archive, proposer, eval, clock_);
  ASSERT_TRUE(engine.Restore().ok());
  EXPECT_EQ(proposer.log, std::vector<std::string>{"held #1"});
  ASSERT_TRUE(engine.Run({}).ok());
  ASSERT_GE(proposer.log.size(), 2u);
  EXPECT_EQ(proposer.log[1], "result #1");
}

TEST_F(EngineTest, ChildrenThatChangeFixedRegionsAreRejected) {
  class Vandal final : public Proposer {
   public:
    StatusOr<Proposal> Propose(const ProposalRequest& req, std::stop_token) override {
      Proposal p;
      p.program.files.push_back({"other.py", req.parent->program.files[0].content});
      p.info.proposer = "vandal";
      return p;
    }
    std::string_view Name() const override { return "vandal"; }
  } vandal;
  DistanceEvaluator eval;
  auto store = NewStore("v.db", eval);
  auto archive = NewArchive();
  EngineOptions o = Options(5, 1, false);
  o.max_unevaluated_in_a_row = 5;
  Engine engine(o, *store, *archive, vandal, eval, clock_);
  ASSERT_TRUE(engine.Restore().ok());
  auto s = engine.Run({});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->progress.outcomes[Outcome::kRejected], 5);
  auto row = store->LoadCandidate(1);
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_NE((*row)->candidate.result.feedback.find("other.py"), std::string::npos);
}

TEST(EngineOptionsTest, ValidateNamesTheField) {
  EngineOptions o;
  o.jobs = 0;
  EXPECT_EQ(o.Validate().message(), "jobs must be >= 1 (got 0)");
}

}  // namespace
}  // namespace crucible

namespace crucible {
namespace {

// Wraps StepProposer: Propose() waits until `want` proposals are in flight
// at once (or 10 s pass, so a broken engine fails instead of hanging), and
// records the most seen together. Persists one state key and a call record
// per proposal.
class ConcurrentProposer final : public Proposer {
 public:
  explicit ConcurrentProposer(int want) : want_(want) {}
  StatusOr<Proposal> Propose(const ProposalRequest& req, std::stop_token stop) override {
    {
      std::unique_lock lock(mu_);
      ++in_flight_;
      max_in_flight_ = std::max(max_in_flight_, in_flight_);
      cv_.notify_all();
      cv_.wait_for(lock, std::chrono::seconds(10),
                   [&] { return max_in_flight_ >= want_ || stop.stop_requested(); });
      --in_flight_;
      LlmCallRecord r;
      r.id = ++calls_;
      r.candidate_id = req.child_id;
      r.model = "m";
      r.mode = "diff";
      r.prompt = "[]";
      r.outcome = "applied";
      pending_.push_back(r);
    }
    return inner_.Propose(req, stop);
  }
  std::string_view Name() const override { return "concurrent"; }
  int Concurrency() const override { return want_; }
  ProposerCheckpoint TakeCheckpoint() override {
    std::lock_guard lock(mu_);
    ProposerCheckpoint cp;
    cp.calls.swap(pending_);
    cp.state["concurrent"] = std::to_string(calls_);
    return cp;
  }
  std::vector<std::string> StateKeys() const override { return {"concurrent"}; }
  Status RestoreState(const std::map<std::string, std::string>& state) override {
    std::lock_guard lock(mu_);
    if (auto it = state.find("concurrent"); it != state.end()) calls_ = std::stoll(it->second);
    return Status::Ok();
  }
  int max_in_flight() const {
    std::lock_guard lock(mu_);
    return max_in_flight_;
  }
  int64_t calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }

 private:
  const int want_;
  StepProposer inner_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int in_flight_ = 0;       // guarded by mu_
  int max_in_flight_ = 0;   // guarded by mu_
  int64_t calls_ = 0;       // guarded by mu_
  std::vector<LlmCallRecord> pending_;  // guarded by mu_
};

TEST_F(EngineTest, ProposalsRunConcurrentlyBeyondJobsAndTheirRecordsPersist) {
  DistanceEvaluator eval;
  auto store = NewStore("a.db", eval);
  auto archive = NewArchive();
  ConcurrentProposer proposer(5);
  Engine engine(Options(20, /*jobs=*/1, false), *store, *archive, proposer, eval, clock_);
  ASSERT_TRUE(engine.Restore().ok());
  auto summary = engine.Run({});
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->progress.evaluations, 20);
  EXPECT_EQ(proposer.max_in_flight(), 5);  // 5 proposals in flight with jobs = 1
  auto calls = store->LoadLlmCalls();
  ASSERT_TRUE(calls.ok());
  EXPECT_EQ(static_cast<int64_t>(calls->size()), proposer.calls());
  auto state = store->GetState("concurrent");
  ASSERT_TRUE(state.ok() && state->has_value());
  EXPECT_EQ(**state, std::to_string(proposer.calls()));
  // Resume: the state comes back.
  auto archive2 = NewArchive();
  ConcurrentProposer again(1);
  Engine engine2(Options(20, 1, false), *store, *archive2, again, eval, clock_);
  ASSERT_TRUE(engine2.Restore().ok());
  EXPECT_EQ(again.calls(), proposer.calls());
}

}  // namespace
}  // namespace crucible

namespace crucible {
namespace {

// The config component does not link the harnesses; the binary tells it their
// names, all of them and only them.
TEST(KnownBuiltinEvaluatorsTest, AreTheRegistrysNames) {
  const ConfigReadOptions o = KnownBuiltinEvaluators();
  ASSERT_TRUE(o.builtin_evaluators.has_value());
  std::vector<std::string> want;
  for (const Problem* p : BuiltinProblems()) want.emplace_back(p->name());
  EXPECT_EQ(*o.builtin_evaluators, want);
  EXPECT_NE(std::find(want.begin(), want.end(), "bin_packing"), want.end());
}

}  // namespace
}  // namespace crucible
