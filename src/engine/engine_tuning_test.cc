// The engine with constant tuning (propose/tune/): a tuned child belongs to
// the candidate it tuned, its samples count against the evaluation budget,
// the store keeps their number, and a resume counts them again.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "core/hash.h"
#include "core/rng.h"
#include "engine/engine.h"
#include "engine/engine_test_util.h"
#include "propose/tune/tuning_proposer.h"

namespace crucible {
namespace {

namespace fs = std::filesystem;
using testing_util::StepProposer;

// Scores -|x - 420|.
class DistanceEvaluator final : public Evaluator {
 public:
  EvalResult Evaluate(const EvalRequest& req, std::stop_token) override {
    ++calls;
    EvalResult r;
    r.outcome = Outcome::kOk;
    r.score = -std::abs(static_cast<double>(std::stol(req.program->files[0].content.substr(4)) - 420));
    r.stage = "full";
    return r;
  }
  std::string Describe() const override { return "in-process"; }
  std::atomic<int> calls{0};
};

// Hands every evaluation to `inner`, calling `count(+1)` before and
// `count(-1)` after it (a test's count of evaluations in flight).
class CountingEvaluator final : public Evaluator {
 public:
  CountingEvaluator(Evaluator& inner, std::function<void(int)> count) : inner_(inner), count_(count) {}
  EvalResult Evaluate(const EvalRequest& req, std::stop_token stop) override {
    count_(+1);
    EvalResult r = inner_.Evaluate(req, stop);
    count_(-1);
    return r;
  }
  std::string Describe() const override { return "counting"; }

 private:
  Evaluator& inner_;
  std::function<void(int)> count_;
};

// A new run database holding the evaluated initial program `x = 100`.
std::unique_ptr<RunStore> StoreWithInitial(const std::string& db, DistanceEvaluator& eval) {
  auto store = std::move(RunStore::Create(db, RunMetadata{})).value();
  Candidate c;
  c.id = 0;
  c.program.files.push_back({"p.py", "x = 100\n"});
  c.source_hash = NormalizedProgramHash(c.program);
  c.proposal.proposer = "initial";
  EvalRequest req{0, &c.program, 0, Split::kTrain};
  c.result = eval.Evaluate(req, {});
  EXPECT_TRUE(store->InsertDone(c).ok());
  return store;
}

// Tuning on, half the budget for samples, `samples` per tuning.
TuningOptions Tuning(int samples) {
  TuningOptions o;
  o.enabled = true;
  o.budget_share = 0.5;
  o.tune.max_evaluations = samples;
  return o;
}

// Two jobs, deterministic, seed 3: the schedule every test here runs.
EngineOptions TwoJobs(int64_t evaluations) {
  EngineOptions o;
  o.jobs = 2;
  o.deterministic = true;
  o.seed = 3;
  o.budget.evaluations = evaluations;
  return o;
}

class EngineTuningTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/crucible-enginetune-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<TuningProposer> Tuner(DistanceEvaluator& eval) {
    const TuningOptions o = Tuning(12);
    return std::make_unique<TuningProposer>(
        std::make_unique<StepProposer>(5), o, Objective{},
        [&eval](CandidateId id, const Program& p, uint64_t seed, std::stop_token stop) {
          EvalRequest req{id, &p, seed, Split::kTrain};
          return eval.Evaluate(req, stop);
        });
  }

  std::unique_ptr<Archive> NewArchive() {
    ArchiveOptions a;
    a.num_islands = 2;
    return std::move(Archive::Create(a)).value();
  }

  fs::path dir_;
  SystemClock clock_;
};

TEST_F(EngineTuningTest, TunedChildrenAndTheirCostAreRecordedAndCounted) {
  DistanceEvaluator eval;
  auto store = StoreWithInitial((dir_ / "t.db").string(), eval);

  auto archive = NewArchive();
  auto tuner = Tuner(eval);
  const EngineOptions o = TwoJobs(80);
  Engine engine(o, *store, *archive, *tuner, eval, clock_);
  ASSERT_TRUE(engine.Restore().ok());
  auto summary = engine.Run({});
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->reason, StopReason::kEvaluationBudget);
  // Every evaluation counted once, samples included, within the budget.
  EXPECT_EQ(summary->progress.evaluations, eval.calls.load() - 1);
  EXPECT_LE(summary->progress.evaluations, 80);
  EXPECT_GE(tuner->tunings(), 1);

  auto rows = store->LoadCandidates();
  ASSERT_TRUE(rows.ok());
  std::map<CandidateId, const Candidate*> by_id;
  for (const CandidateRow& r : *rows) by_id[r.candidate.id] = &r.candidate;
  int tuned = 0;
  int64_t samples = 0;
  for (const CandidateRow& r : *rows) {
    const Candidate& t = r.candidate;
    if (t.proposal.proposer != "tune") continue;
    ++tuned;
    samples += t.proposal.evaluations;
    EXPECT_GT(t.proposal.evaluations, 0);
    const auto detail = nlohmann::json::parse(t.proposal.detail_json);
    EXPECT_EQ(detail["tuned_from"], t.parent_id);
    EXPECT_EQ(detail["evaluations"], t.proposal.evaluations);
    const Candidate& from = *by_id.at(t.parent_id);
    EXPECT_EQ(t.island, from.island);
    EXPECT_EQ(t.generation, from.generation + 1);
    EXPECT_TRUE(t.inspiration_ids.empty());
    if (t.result.outcome == Outcome::kOk) {
      EXPECT_GT(*t.result.score, *from.result.score);
    }
  }
  EXPECT_EQ(tuned, tuner->tunings());
  EXPECT_EQ(samples, tuner->tuning_evaluations());

  // A resume counts the samples again: the budget is already spent.
  DistanceEvaluator eval2;
  auto archive2 = NewArchive();
  auto tuner2 = Tuner(eval2);
  Engine again(o, *store, *archive2, *tuner2, eval2, clock_);
  ASSERT_TRUE(again.Restore().ok());
  EXPECT_EQ(again.CurrentProgress().evaluations, summary->progress.evaluations);
  EXPECT_EQ(tuner2->tuning_evaluations(), samples);
  auto rerun = again.Run({});
  ASSERT_TRUE(rerun.ok());
  EXPECT_EQ(eval2.calls.load(), 0);
}

// With --jobs 2, a tuning's samples run two at a time on the engine's idle
// slot (propose/slot_lender.h); never more evaluations than jobs.
TEST_F(EngineTuningTest, ATuningsSamplesUseTheIdleSlots) {
  DistanceEvaluator eval;
  auto store = StoreWithInitial((dir_ / "p.db").string(), eval);

  // Samples (every evaluation with the id of a child being tuned) and all
  // evaluations in flight at once.
  std::mutex mu;
  std::condition_variable cv;
  int samples = 0, max_samples = 0, all = 0, max_all = 0;
  bool waited = false;
  const TuningOptions o = Tuning(12);
  auto count = [&](int delta, bool sample) {
    all += delta;
    max_all = std::max(max_all, all);
    if (sample) max_samples = std::max(max_samples, samples += delta);
  };
  auto tuner = std::make_unique<TuningProposer>(
      std::make_unique<StepProposer>(5), o, Objective{},
      [&](CandidateId id, const Program& p, uint64_t seed, std::stop_token stop) {
        {
          std::unique_lock lock(mu);
          count(+1, true);
          cv.notify_all();
          // The first sample waits (at most 10 s) for a second one: the
          // test is that two are in flight, not how fast.
          if (!waited) {
            waited = true;
            cv.wait_for(lock, std::chrono::seconds(10), [&] { return max_samples >= 2; });
          }
        }
        EvalRequest req{id, &p, seed, Split::kTrain};
        EvalResult r = eval.Evaluate(req, stop);
        std::lock_guard lock(mu);
        count(-1, true);
        return r;
      });
  CountingEvaluator children(eval, [&](int delta) {
    std::lock_guard lock(mu);
    count(delta, false);
  });
  auto archive = NewArchive();
  const EngineOptions eo = TwoJobs(60);
  Engine engine(eo, *store, *archive, *tuner, children, clock_);
  ASSERT_TRUE(engine.Restore().ok());
  auto summary = engine.Run({});
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  ASSERT_GE(tuner->tunings(), 1);
  EXPECT_EQ(max_samples, 2);
  EXPECT_EQ(tuner->max_samples_in_flight(), 2);
  EXPECT_LE(max_all, 2);
  EXPECT_EQ(summary->progress.evaluations, eval.calls.load() - 1);
}

// With separate proposal slots (an LLM proposer's --llm-concurrency), a
// proposal holds no evaluation slot: the tuning's samples then run on lent
// slots only, and children and samples together never exceed --jobs (the
// tuning's own thread used to evaluate one sample beyond it). Every
// evaluation takes a few milliseconds, so that children are evaluated
// while the tuning runs; the bound holds whatever the timing.
TEST_F(EngineTuningTest, WithSeparateProposalSlotsEvaluationsNeverExceedTheJobs) {
  DistanceEvaluator eval;
  auto store = StoreWithInitial((dir_ / "s.db").string(), eval);
  std::mutex mu;
  int all = 0, max_all = 0;
  auto count = [&](int delta) {
    std::lock_guard lock(mu);
    max_all = std::max(max_all, all += delta);
  };
  auto tuner = std::make_unique<TuningProposer>(
      std::make_unique<StepProposer>(5), Tuning(12), Objective{},
      [&](CandidateId id, const Program& p, uint64_t seed, std::stop_token stop) {
        count(+1);
        std::this_thread::sleep_for(std::chrono::milliseconds(15));
        EvalRequest req{id, &p, seed, Split::kTrain};
        EvalResult r = eval.Evaluate(req, stop);
        count(-1);
        return r;
      });
  class SlowEvaluator final : public Evaluator {
   public:
    explicit SlowEvaluator(Evaluator& inner) : inner_(inner) {}
    EvalResult Evaluate(const EvalRequest& req, std::stop_token stop) override {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      return inner_.Evaluate(req, stop);
    }
    std::string Describe() const override { return "slow"; }

   private:
    Evaluator& inner_;
  } slow(eval);
  CountingEvaluator children(slow, count);
  auto archive = NewArchive();
  EngineOptions eo = TwoJobs(80);
  eo.deterministic = false;
  eo.proposal_concurrency = 2;
  Engine engine(eo, *store, *archive, *tuner, children, clock_);
  ASSERT_TRUE(engine.Restore().ok());
  auto summary = engine.Run({});
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  ASSERT_GE(tuner->tunings(), 1);
  EXPECT_GE(max_all, 2);
  EXPECT_LE(max_all, 2);
  EXPECT_EQ(summary->progress.evaluations, eval.calls.load() - 1);
}

// A run SIGKILLed while a tuning's second generation is being evaluated two
// samples at a time: the samples recorded before the kill (run.db's state
// "tune.tuning") are not evaluated again, and the resumed tuning ends with
// the child, the record and the cost of the uninterrupted run's.
TEST_F(EngineTuningTest, AKillInTheMiddleOfAParallelGenerationResumesTheTuningExactly) {
  struct Samples {
    std::mutex mu;
    std::map<CandidateId, int> by_child;  // samples per tuned child id
    int total = 0;
  };
  auto run = [&](const std::string& db, bool create, Samples& samples,
                 std::function<void(int)> before_sample) {
    DistanceEvaluator eval;
    std::unique_ptr<RunStore> store;
    if (create) {
      store = StoreWithInitial(db, eval);
    } else {
      store = std::move(RunStore::Open(db, RunStore::Mode::kReadWrite)).value();
    }
    const TuningOptions o = Tuning(18);
    TuningProposer tuner(std::make_unique<StepProposer>(5), o, Objective{},
                         [&](CandidateId id, const Program& p, uint64_t seed, std::stop_token stop) {
                           int n;
                           {
                             std::lock_guard lock(samples.mu);
                             n = ++samples.total;
                             ++samples.by_child[id];
                           }
                           if (before_sample) before_sample(n);
                           EvalRequest req{id, &p, seed, Split::kTrain};
                           return eval.Evaluate(req, stop);
                         });
    auto archive = NewArchive();
    const EngineOptions eo = TwoJobs(60);
    Engine engine(eo, *store, *archive, tuner, eval, clock_);
    EXPECT_TRUE(engine.Restore().ok());
    auto summary = engine.Run({});
    EXPECT_TRUE(summary.ok());
  };
  auto first_tuning = [](const std::string& db) {
    auto store = std::move(RunStore::Open(db, RunStore::Mode::kReadOnly)).value();
    auto rows = std::move(store->LoadCandidates()).value();
    for (const CandidateRow& r : rows) {
      if (r.candidate.proposal.proposer == "tune") return r.candidate;
    }
    return Candidate{};
  };

  // The uninterrupted run.
  const std::string whole = (dir_ / "whole.db").string();
  Samples all;
  run(whole, true, all, nullptr);
  const Candidate expected = first_tuning(whole);
  ASSERT_EQ(expected.proposal.proposer, "tune");
  ASSERT_GE(expected.proposal.evaluations, 10);  // the kill below lands in its second generation

  // The same run in a child process whose 9th and later samples never end:
  // samples 7 and 8 of the second generation are done, 9 and 10 in flight.
  // Killed once run.db's state holds the 8 finished samples.
  const std::string killed = (dir_ / "killed.db").string();
  const pid_t pid = ::fork();
  if (pid == 0) {
    Samples s;
    run(killed, true, s, [](int n) {
      if (n >= 9) std::this_thread::sleep_for(std::chrono::hours(1));
    });
    ::_exit(0);
  }
  size_t recorded = 0;
  for (int i = 0; i < 600 && recorded < 8; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto store = RunStore::Open(killed, RunStore::Mode::kReadOnly);
    if (!store.ok()) continue;
    auto state = (*store)->GetState("tune.tuning");
    if (!state.ok() || !*state) continue;
    const auto j = nlohmann::json::parse(**state, nullptr, false);
    if (j.is_object() && j.contains("samples")) recorded = j["samples"].size();
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_EQ(recorded, 8u);
  ASSERT_TRUE(WIFSIGNALED(status));

  // Resumed: the tuning continues with the other samples only.
  Samples resumed;
  run(killed, false, resumed, nullptr);
  const Candidate got = first_tuning(killed);
  ASSERT_EQ(got.proposal.proposer, "tune");
  EXPECT_EQ(got.parent_id, expected.parent_id);
  EXPECT_EQ(got.program, expected.program);
  EXPECT_EQ(got.proposal.evaluations, expected.proposal.evaluations);
  EXPECT_EQ(got.proposal.detail_json, expected.proposal.detail_json);
  EXPECT_EQ(resumed.by_child[got.id], expected.proposal.evaluations - 8);
}

}  // namespace
}  // namespace crucible
