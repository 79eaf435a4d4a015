#include "propose/tune/tuning_proposer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>
#include <nlohmann/json.hpp>

namespace crucible {
namespace {

using ::testing::HasSubstr;

// The wrapped proposer: returns its parent with a marker, counting calls.
class MarkProposer final : public Proposer {
 public:
  StatusOr<Proposal> Propose(const ProposalRequest& req, std::stop_token) override {
    ++calls;
    Proposal p;
    p.program = req.parent->program;
    p.program.files[0].content += "# mark\n";
    p.info.proposer = "mark";
    return p;
  }
  std::string_view Name() const override { return "mark"; }
  bool RunsInline() const override { return true; }
  std::atomic<int> calls{0};
};

// "k = K": scores -|K - 10|.
EvalResult Score(const Program& p) {
  const std::string& s = p.files[0].content;
  const size_t at = s.find("k = ");
  EvalResult r;
  r.outcome = Outcome::kOk;
  r.score = -std::abs(std::stod(s.substr(at + 4)) - 10.0);
  r.stage = "full";
  return r;
}

std::shared_ptr<Candidate> Make(CandidateId id, int island, const std::string& k) {
  auto c = std::make_shared<Candidate>();
  c->id = id;
  c->parent_id = id > 0 ? 0 : kNoCandidate;  // #0 stands for the initial program
  c->island = island;
  c->seed = 1000 + static_cast<uint64_t>(id);
  c->program.files.push_back({"k.py", "# EVOLVE-BLOCK-START\nk = " + k + "\n# EVOLVE-BLOCK-END\n"});
  c->result = Score(c->program);
  c->proposal.proposer = "mark";
  return c;
}

// #7 ("k = 9.5"), the child of a tuning of #1 that cost 12 samples.
std::shared_ptr<Candidate> TunedChild() {
  auto tuned = Make(7, 0, "9.5");
  tuned->proposal.proposer = "tune";
  tuned->parent_id = 1;
  tuned->proposal.evaluations = 12;
  return tuned;
}

// A request for child #50 (seed 9) of the initial program "k = 1.0".
ProposalRequest Request() {
  ProposalRequest req;
  req.child_id = 50;
  req.seed = 9;
  req.parent = Make(0, 0, "1.0");
  return req;
}

struct Fixture {
  MarkProposer* base = nullptr;
  std::unique_ptr<TuningProposer> tuner;
  std::atomic<int> evaluations{0};
  std::vector<std::pair<CandidateId, uint64_t>> seen;  // (id, seed) of each sample

  explicit Fixture(TuningOptions o) {
    auto b = std::make_unique<MarkProposer>();
    base = b.get();
    tuner = std::make_unique<TuningProposer>(
        std::move(b), o, Objective{}, [this](CandidateId id, const Program& p, uint64_t seed, std::stop_token) {
          ++evaluations;
          seen.emplace_back(id, seed);
          return Score(p);
        });
  }
  void Result(const Candidate& c, bool replayed = false) {
    tuner->OnResult(c, c.result.score, std::nullopt, replayed);
  }
  StatusOr<Proposal> Propose(std::shared_ptr<const Candidate> parent, CandidateId child = 50,
                             std::optional<int64_t> left = std::nullopt) {
    ProposalRequest req;
    req.child_id = child;
    req.seed = 9;
    req.parent = std::move(parent);
    req.evaluations_left = left;
    return tuner->Propose(req, {});
  }
};

TuningOptions Enabled(double share = 1.0) {
  TuningOptions o;
  o.enabled = true;
  o.budget_share = share;
  o.tune.max_evaluations = 12;
  return o;
}

TEST(TuningProposerTest, TunesANewIslandBestAsItsChild) {
  Fixture f(Enabled());
  auto start = Make(3, 1, "4.0");
  f.Result(*start);
  StatusOr<Proposal> p = f.Propose(Make(0, 0, "1.0"));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(f.base->calls, 0);
  ASSERT_NE(p->parent, nullptr);
  EXPECT_EQ(p->parent->id, 3);
  EXPECT_EQ(p->info.proposer, "tune");
  EXPECT_EQ(p->info.operators, std::vector<std::string>{"cmaes"});
  EXPECT_EQ(p->info.evaluations, f.evaluations.load());
  EXPECT_GT(p->info.evaluations, 0);
  EXPECT_LE(p->info.evaluations, 12);
  EXPECT_GT(*Score(p->program).score, *start->result.score);
  // Samples are scored as the child, with the tuned candidate's seed.
  for (const auto& [id, seed] : f.seen) {
    EXPECT_EQ(id, 50);
    EXPECT_EQ(seed, start->seed);
  }
  const auto detail = nlohmann::json::parse(p->info.detail_json);
  EXPECT_EQ(detail["tuned_from"], 3);
  EXPECT_EQ(detail["evaluations"], p->info.evaluations);
  EXPECT_EQ(detail["changes"][0]["from"], "4.0");
  EXPECT_EQ(detail["changes"][0]["file"], "k.py");
  // Tuned once only: the next proposal is the wrapped proposer's.
  ASSERT_TRUE(f.Propose(Make(0, 0, "1.0")).ok());
  EXPECT_EQ(f.base->calls, 1);
  EXPECT_THAT(f.tuner->UsageSummary(), HasSubstr("tuned 1"));
}

TEST(TuningProposerTest, OnlyBestsOfTheirIslandAreQueued) {
  Fixture f(Enabled());
  f.Result(*Make(1, 0, "8.0"));  // island 0 best: queued
  f.Result(*Make(2, 0, "4.0"));  // worse than 1 on island 0: not queued
  auto p = f.Propose(Make(0, 0, "1.0"));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->parent->id, 1);
  EXPECT_EQ(f.tuner->tunings(), 1);
  ASSERT_TRUE(f.Propose(Make(0, 0, "1.0")).ok());
  EXPECT_EQ(f.tuner->tunings(), 1);
}

TEST(TuningProposerTest, AnIslandsBarStartsAtTheInitialProgram) {
  Fixture f(Enabled());
  auto initial = Make(0, 0, "2.0");  // the initial program, score -8
  f.Result(*initial);
  f.Result(*Make(1, 2, "1.5"));  // island 2's first child, worse than the initial program
  auto p = f.Propose(Make(0, 0, "1.0"));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->parent->id, 0);  // the initial program is queued; #1 is not
  ASSERT_TRUE(f.Propose(Make(0, 0, "1.0")).ok());
  EXPECT_EQ(f.tuner->tunings(), 1);
  f.Result(*Make(2, 2, "3.0"));  // better than the initial program: a new best of island 2
  auto q = f.Propose(Make(0, 0, "1.0"));
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->parent->id, 2);
}

TEST(TuningProposerTest, TunedChildrenAreNotTunedAgain) {
  Fixture f(Enabled());
  auto tuned = TunedChild();
  f.Result(*tuned, /*replayed=*/true);
  EXPECT_EQ(f.tuner->tuning_evaluations(), 12);  // rebuilt from the replay
  ASSERT_TRUE(f.Propose(Make(0, 0, "1.0")).ok());
  EXPECT_EQ(f.base->calls, 1);
}

TEST(TuningProposerTest, CopiesOfASearchedCandidateAreNotTuned) {
  // Bin packing: a mutation of a tuned child that edits a dead line scores
  // exactly as its parent and, placed on another island, is that island's
  // new best; tuning it searched the same constants again (24 samples,
  // nothing found, on each of three seeds).
  Fixture f(Enabled());
  auto tuned = TunedChild();
  f.tuner->OnResult(*tuned, tuned->result.score, -6.0, /*replayed=*/true);
  auto copy = Make(8, 1, "9.5");
  copy->parent_id = 7;
  f.tuner->OnResult(*copy, copy->result.score, tuned->result.score, false);
  auto copy_of_copy = Make(9, 2, "9.5");
  copy_of_copy->parent_id = 8;
  f.tuner->OnResult(*copy_of_copy, copy_of_copy->result.score, copy->result.score, false);
  ASSERT_TRUE(f.Propose(Make(0, 0, "1.0")).ok());
  EXPECT_EQ(f.tuner->tunings(), 1);  // the replayed one only
  EXPECT_EQ(f.base->calls, 1);
  // A child of the tuned program that scores differently is queued as before.
  auto better = Make(10, 3, "9.75");
  better->parent_id = 7;
  f.tuner->OnResult(*better, better->result.score, tuned->result.score, false);
  auto p = f.Propose(Make(0, 0, "1.0"));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->parent->id, 10);
}

TEST(TuningProposerTest, TheShareOfEvaluationsLimitsTuning) {
  Fixture f(Enabled(0.5));
  f.Result(*Make(1, 0, "4.0"));
  // 1 evaluated child: 12 planned samples would be 12/13 of all.
  ASSERT_TRUE(f.Propose(Make(0, 0, "1.0")).ok());
  EXPECT_EQ(f.tuner->tunings(), 0);
  for (int i = 0; i < 11; ++i) f.Result(*Make(10 + i, 0, "1.0"));
  // 12 evaluated: 12 / 24 is the share.
  auto p = f.Propose(Make(0, 0, "1.0"));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->info.proposer, "tune");
}

TEST(TuningProposerTest, StaysWithinTheEvaluationsLeft) {
  Fixture f(Enabled());
  f.Result(*Make(1, 0, "4.0"));
  // 6 left: fewer than a population plus the child: no tuning.
  ASSERT_TRUE(f.Propose(Make(0, 0, "1.0"), 50, 6).ok());
  EXPECT_EQ(f.evaluations, 0);
  auto p = f.Propose(Make(0, 0, "1.0"), 51, 8);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->info.proposer, "tune");
  EXPECT_LE(p->info.evaluations, 7);
}

TEST(TuningProposerTest, NothingTunableFallsBackWithoutCost) {
  Fixture f(Enabled());
  auto c = Make(1, 0, "4.0");
  c->program.files[0].content = "# EVOLVE-BLOCK-START\nk = j\n# EVOLVE-BLOCK-END\n";
  f.Result(*c);
  auto p = f.Propose(Make(0, 0, "1.0"));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->info.proposer, "mark");
  EXPECT_EQ(f.tuner->tuning_evaluations(), 0);
}

TEST(TuningProposerTest, DisabledOnlyForwards) {
  TuningOptions o = Enabled();
  o.enabled = false;
  Fixture f(o);
  f.Result(*Make(1, 0, "4.0"));
  ASSERT_TRUE(f.Propose(Make(0, 0, "1.0")).ok());
  EXPECT_EQ(f.base->calls, 1);
  EXPECT_EQ(f.evaluations, 0);
}

// A lender with one idle slot: a thread that runs every unit offered.
class OneSlotLender final : public SlotLender {
 public:
  explicit OneSlotLender(bool owner_may_run = true) : owner_may_run_(owner_may_run) {}
  void Offer(std::shared_ptr<SharedWork> work) override {
    ++offers;
    threads.emplace_back([work] {
      while (std::function<void()> unit = work->TakeUnit()) unit();
    });
  }
  bool OwnerMayRunUnits() const override { return owner_may_run_; }
  std::atomic<int> offers{0};
  std::vector<std::jthread> threads;

 private:
  const bool owner_may_run_;
};

// A lender whose slots are never idle: it keeps what is offered.
class BusyLender final : public SlotLender {
 public:
  void Offer(std::shared_ptr<SharedWork> work) override {
    std::lock_guard lock(mu);
    offered.push_back(std::move(work));
  }
  bool OwnerMayRunUnits() const override { return false; }
  std::mutex mu;
  std::vector<std::shared_ptr<SharedWork>> offered;
};

TEST(TuningProposerTest, ALentSlotEvaluatesSamplesBesideTheTuningsOwnThread) {
  std::mutex mu;
  std::condition_variable cv;
  int in_flight = 0;
  int max_in_flight = 0;
  bool waited = false;
  std::set<std::thread::id> threads;
  auto evaluate = [&](CandidateId, const Program& p, uint64_t, std::stop_token) {
    std::unique_lock lock(mu);
    threads.insert(std::this_thread::get_id());
    max_in_flight = std::max(max_in_flight, ++in_flight);
    cv.notify_all();
    // The first sample waits (at most 10 s) for a second one to start: two
    // samples in flight at once is what is tested, not a timing.
    if (!waited) {
      waited = true;
      cv.wait_for(lock, std::chrono::seconds(10), [&] { return max_in_flight >= 2; });
    }
    --in_flight;
    return Score(p);
  };
  auto make = [&] {
    return std::make_unique<TuningProposer>(std::make_unique<MarkProposer>(), Enabled(),
                                            Objective{}, evaluate);
  };
  auto start = Make(3, 1, "4.0");
  ProposalRequest req = Request();

  waited = true;  // alone, nothing to wait for
  auto alone = make();
  alone->OnResult(*start, start->result.score, std::nullopt, false);
  StatusOr<Proposal> sequential = alone->Propose(req, {});
  ASSERT_TRUE(sequential.ok());
  EXPECT_EQ(alone->max_samples_in_flight(), 1);
  EXPECT_EQ(max_in_flight, 1);

  max_in_flight = 0;
  waited = false;
  threads.clear();
  OneSlotLender lender;
  auto lent = make();
  lent->OnResult(*start, start->result.score, std::nullopt, false);
  req.lender = &lender;
  StatusOr<Proposal> parallel = lent->Propose(req, {});
  ASSERT_TRUE(parallel.ok());
  EXPECT_GE(lender.offers, 1);
  EXPECT_EQ(max_in_flight, 2);
  EXPECT_EQ(lent->max_samples_in_flight(), 2);
  EXPECT_GE(threads.size(), 2u);  // the owner and a lent slot (a thread per offer here)
  // The same tuning: program, cost and record.
  EXPECT_EQ(parallel->program, sequential->program);
  EXPECT_EQ(parallel->info.evaluations, sequential->info.evaluations);
  EXPECT_EQ(parallel->info.detail_json, sequential->info.detail_json);
}

// Where the tuning's own thread holds no evaluation slot (the engine's
// separate proposal slots), every sample runs on a lent slot, none on the
// proposer's thread; the tuning is the same.
TEST(TuningProposerTest, AThreadWithoutAnEvaluationSlotLeavesEverySampleToLentSlots) {
  std::mutex mu;
  std::set<std::thread::id> threads;
  auto evaluate = [&](CandidateId, const Program& p, uint64_t, std::stop_token) {
    std::lock_guard lock(mu);
    threads.insert(std::this_thread::get_id());
    return Score(p);
  };
  auto start = Make(3, 1, "4.0");
  ProposalRequest req = Request();
  auto propose = [&](SlotLender* lender) {
    TuningProposer tuner(std::make_unique<MarkProposer>(), Enabled(), Objective{}, evaluate);
    tuner.OnResult(*start, start->result.score, std::nullopt, false);
    req.lender = lender;
    return tuner.Propose(req, {});
  };
  StatusOr<Proposal> alone = propose(nullptr);
  ASSERT_TRUE(alone.ok());
  threads.clear();
  OneSlotLender lender(/*owner_may_run=*/false);
  StatusOr<Proposal> lent = propose(&lender);
  ASSERT_TRUE(lent.ok());
  EXPECT_FALSE(threads.contains(std::this_thread::get_id()));
  EXPECT_FALSE(threads.empty());
  // Every batch is offered, a one-sample batch too.
  EXPECT_EQ(lender.offers, static_cast<int>(lender.threads.size()));
  EXPECT_EQ(lent->program, alone->program);
  EXPECT_EQ(lent->info.evaluations, alone->info.evaluations);
  EXPECT_EQ(lent->info.detail_json, alone->info.detail_json);
}

// Waiting for lent slots that never come ends with the run's stop: the
// samples not taken are skipped and the tuning is cancelled.
TEST(TuningProposerTest, AStopEndsATuningWaitingForLentSlots) {
  std::atomic<int> evaluations{0};
  TuningProposer tuner(std::make_unique<MarkProposer>(), Enabled(), Objective{},
                       [&](CandidateId, const Program& p, uint64_t, std::stop_token) {
                         ++evaluations;
                         return Score(p);
                       });
  auto start = Make(3, 1, "4.0");
  tuner.OnResult(*start, start->result.score, std::nullopt, false);
  BusyLender lender;
  ProposalRequest req = Request();
  req.lender = &lender;
  std::stop_source stop;
  std::jthread stopper([&] {
    // Once the first batch is on offer.
    while (true) {
      {
        std::lock_guard lock(lender.mu);
        if (!lender.offered.empty()) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    stop.request_stop();
  });
  StatusOr<Proposal> p = tuner.Propose(req, stop.get_token());
  EXPECT_EQ(p.status().code(), StatusCode::kCancelled);
  EXPECT_EQ(evaluations, 0);
}

TEST(TuningProposerTest, ACorruptTuningStateIsDataLoss) {
  Fixture f(Enabled());
  EXPECT_TRUE(f.tuner->RestoreState({{"tune.tuning", "{}"}}).ok());
  EXPECT_EQ(f.tuner->RestoreState({{"tune.tuning", "[1]"}}).code(), StatusCode::kDataLoss);
  EXPECT_EQ(f.tuner->RestoreState({{"tune.tuning", R"({"from": 3, "seed": 1, "evaluations": 12,
                                                        "samples": [[1, 2]]})"}})
                .code(),
            StatusCode::kDataLoss);
  const std::vector<std::string> keys = f.tuner->StateKeys();
  EXPECT_NE(std::find(keys.begin(), keys.end(), "tune.tuning"), keys.end());
}

TEST(TuningProposerTest, AResumedTuningAnswersItsRecordedSamplesAndEndsTheSame) {
  auto start = Make(3, 1, "4.0");
  // Uninterrupted, checkpointing every sample.
  Fixture whole(Enabled());
  whole.Result(*start);
  StatusOr<Proposal> expected = whole.Propose(Make(0, 0, "1.0"));
  ASSERT_TRUE(expected.ok());
  ASSERT_EQ(expected->info.proposer, "tune");
  const std::string state = whole.tuner->TakeCheckpoint().state.at("tune.tuning");
  auto j = nlohmann::json::parse(state);
  EXPECT_EQ(j["from"], 3);
  EXPECT_EQ(j["samples"].size(), static_cast<size_t>(expected->info.evaluations));
  // A crash after the first five samples: the resumed proposer replays the
  // results, restores the state and takes the tuning up at its next
  // proposal (another child id, another seed: the recorded seed counts).
  j["samples"] = nlohmann::json(std::vector<nlohmann::json>(j["samples"].begin(), j["samples"].begin() + 5));
  Fixture resumed(Enabled(0.01));  // a share that would not start a new tuning
  resumed.Result(*start, /*replayed=*/true);
  ASSERT_TRUE(resumed.tuner->RestoreState({{"tune.tuning", j.dump()}}).ok());
  StatusOr<Proposal> got = resumed.Propose(Make(0, 0, "1.0"), /*child=*/77);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->info.proposer, "tune");
  EXPECT_EQ(got->program, expected->program);
  EXPECT_EQ(got->info.detail_json, expected->info.detail_json);
  EXPECT_EQ(got->info.evaluations, expected->info.evaluations);
  EXPECT_EQ(resumed.evaluations, expected->info.evaluations - 5);
  // Once the child is recorded the state is cleared.
  Candidate child = *start;
  child.id = 77;
  child.parent_id = 3;
  child.proposal = got->info;
  resumed.Result(child);
  EXPECT_EQ(resumed.tuner->TakeCheckpoint().state.at("tune.tuning"), "{}");
}

// A resumed tuning re-checks the evaluations left: its samples, recorded
// ones included, stay within them (one kept for the child) in whole
// generations, as a new tuning's would; when not one generation fits, it is
// dropped and the wrapped proposer answers. (It used to run as planned.)
TEST(TuningProposerTest, AResumedTuningStaysWithinTheEvaluationsLeft) {
  auto start = Make(3, 1, "4.0");
  Fixture whole(Enabled());  // 12 samples planned: two generations of 6
  whole.Result(*start);
  StatusOr<Proposal> planned = whole.Propose(Make(0, 0, "1.0"));
  ASSERT_TRUE(planned.ok());
  auto state = nlohmann::json::parse(whole.tuner->TakeCheckpoint().state.at("tune.tuning"));
  ASSERT_EQ(state["evaluations"], 12);
  state["samples"] = nlohmann::json(
      std::vector<nlohmann::json>(state["samples"].begin(), state["samples"].begin() + 5));
  // What the first generation of the same tuning gives (the same seed; its
  // samples that rewrite to the same text are scored once).
  TuningOptions one_generation = Enabled();
  one_generation.tune.max_evaluations = 6;
  Fixture fresh(one_generation);
  fresh.Result(*start);
  StatusOr<Proposal> expected = fresh.Propose(Make(0, 0, "1.0"));
  ASSERT_TRUE(expected.ok());
  ASSERT_LT(expected->info.evaluations, planned->info.evaluations);

  // The proposer after a crash: the results replayed, the state restored.
  auto restored = [&] {
    auto f = std::make_unique<Fixture>(Enabled());
    f->Result(*start, /*replayed=*/true);
    EXPECT_TRUE(f->tuner->RestoreState({{"tune.tuning", state.dump()}}).ok());
    return f;
  };

  // 8 left: 7 samples allowed, so one generation, its recorded samples
  // answered from the record.
  std::unique_ptr<Fixture> f = restored();
  Fixture& resumed = *f;
  StatusOr<Proposal> got = resumed.Propose(Make(0, 0, "1.0"), /*child=*/77, /*left=*/8);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->info.proposer, "tune");
  EXPECT_EQ(got->info.evaluations, expected->info.evaluations);
  EXPECT_LE(resumed.evaluations, expected->info.evaluations);
  EXPECT_EQ(resumed.tuner->tuning_evaluations(), expected->info.evaluations);
  EXPECT_EQ(got->program, expected->program);
  EXPECT_EQ(got->info.detail_json, expected->info.detail_json);

  // 4 left: not one generation: no tuning, nothing spent, the state cleared.
  std::unique_ptr<Fixture> g = restored();
  Fixture& dropped = *g;
  StatusOr<Proposal> plain = dropped.Propose(Make(0, 0, "1.0"), /*child=*/77, /*left=*/4);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->info.proposer, "mark");
  EXPECT_EQ(dropped.evaluations, 0);
  EXPECT_EQ(dropped.tuner->tuning_evaluations(), 0);
  EXPECT_EQ(dropped.tuner->TakeCheckpoint().state.at("tune.tuning"), "{}");
}

TEST(TuningProposerTest, OptionsErrorsNameTheField) {
  TuningOptions o;
  o.budget_share = 0;
  EXPECT_THAT(o.Validate().message(), HasSubstr("budget_share"));
  o = TuningOptions{};
  o.top_k = 0;
  EXPECT_THAT(o.Validate().message(), HasSubstr("top_k"));
  EXPECT_EQ(ParseTuneTrigger("top_k"), TuneTrigger::kTopK);
  EXPECT_EQ(ParseTuneTrigger("sometimes"), std::nullopt);
}

}  // namespace
}  // namespace crucible
