// SIGKILL at arbitrary moments of a run — between an evaluation and the commit
// of its result, during a commit, with slow evaluations recorded as pending —
// and resume: every committed result is kept unchanged, pending children are
// evaluated again, ids stay unique and the budget counts each child once.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <thread>

#include "archive/archive.h"
#include "core/hash.h"
#include "core/rng.h"
#include "engine/engine.h"
#include "engine/engine_test_util.h"
#include "engine/run.h"
#include "store/run_store.h"

namespace crucible {
namespace {

namespace fs = std::filesystem;
using testing_util::InitialCandidate;
using testing_util::ExitCodeOf;
using testing_util::Killed;
using testing_util::ResumeAndExit;
using testing_util::RunAndKill;
using testing_util::RunDirTest;
using testing_util::ScoreOf;
using testing_util::Tick;

constexpr int64_t kBudget = 200;
constexpr int kKills = 4;

// Programs are "x = N\ny = S\n"; children move N by a seeded step.
class StepProposer final : public Proposer {
 public:
  StatusOr<Proposal> Propose(const ProposalRequest& req, std::stop_token) override {
    Rng rng(req.seed);
    const long x = std::stol(req.parent->program.files[0].content.substr(4));
    Proposal p;
    p.program.files.push_back({"p.py", "x = " + std::to_string(x + rng.UniformInt(-5, 5)) +
                                           "\ny = " + std::to_string(rng.UniformInt(0, 1 << 30)) +
                                           "\n"});
    p.info.proposer = "step";
    return p;
  }
  std::string_view Name() const override { return "step"; }
  bool RunsInline() const override { return true; }
};

// Instant, except one child in eight, which takes 80 ms (longer than the
// engine waits before recording a pending row). Tells `ticks` after each
// evaluation.
class TickingEvaluator final : public Evaluator {
 public:
  explicit TickingEvaluator(int ticks) : ticks_(ticks) {}
  EvalResult Evaluate(const EvalRequest& req, std::stop_token stop) override {
    if (req.seed % 8 == 3) {
      for (int i = 0; i < 80 && !stop.stop_requested(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
    EvalResult r;
    r.outcome = Outcome::kOk;
    r.score = ScoreOf(*req.program);
    r.stage = "full";
    Tick(ticks_);
    return r;
  }
  std::string Describe() const override { return "ticking"; }

 private:
  int ticks_;
};

class EngineKillTest : public RunDirTest {
 protected:
  // Resumes the run (in a child process: it ends in _exit).
  void ResumeRun(int ticks) {
    ArchiveOptions ao;
    ao.num_islands = 2;
    StepProposer proposer;
    TickingEvaluator eval(ticks);
    EngineOptions o;
    o.jobs = 2;
    o.seed = 11;
    o.budget.evaluations = kBudget;
    ResumeAndExit(Path(), ao, o, proposer, eval);
  }

  std::map<CandidateId, CandidateRow> Rows() {
    auto store = RunStore::Open(Path(), RunStore::Mode::kReadWrite);  // recovers the WAL
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    std::map<CandidateId, CandidateRow> out;
    if (!store.ok()) return out;
    StatusOr<std::vector<CandidateRow>> rows = (*store)->LoadCandidates();
    EXPECT_TRUE(rows.ok());
    if (!rows.ok()) return out;
    for (CandidateRow& r : *rows) out[r.candidate.id] = std::move(r);
    return out;
  }
};

TEST_F(EngineKillTest, KilledAnywhereAndResumedLosesNoCommittedResultAndCountsEachChildOnce) {
  {
    auto store = std::move(RunStore::Create(Path(), RunMetadata{})).value();
    ASSERT_TRUE(store->InsertDone(InitialCandidate("p.py", "x = 0\ny = 0\n", -42)).ok());
  }
  std::map<CandidateId, CandidateRow> seen_done;     // committed results, across kills
  std::map<CandidateId, std::string> seen_pending;  // in flight at a kill: program
  Rng rng(2026);
  int pending_at_kills = 0;
  for (int round = 0; round < kKills; ++round) {
    // Kill after a seeded number of evaluations: at whatever point the
    // orchestrator is then (applying, committing, selecting, waiting).
    RunAndKill(rng.UniformInt(5, 30), [this](int ticks) { ResumeRun(ticks); });
    for (auto& [id, row] : Rows()) {
      if (row.status == CandidateStatus::kPending) {
        ++pending_at_kills;
        seen_pending[id] = row.candidate.program.files[0].content;
        EXPECT_FALSE(seen_done.count(id)) << "candidate " << id << " went back to pending";
        continue;
      }
      if (auto it = seen_done.find(id); it != seen_done.end()) {
        EXPECT_EQ(row.candidate.result.score, it->second.candidate.result.score) << id;
        EXPECT_EQ(row.completed_unix, it->second.completed_unix) << id << " written twice";
      }
      if (id != 0) {
        EXPECT_EQ(*row.candidate.result.score, ScoreOf(row.candidate.program)) << id;
      }
      seen_done[id] = std::move(row);
    }
  }
  // The last resume runs to the end of the budget.
  const Killed last = RunAndKill(kBudget * 10, [this](int ticks) { ResumeRun(ticks); });
  ASSERT_TRUE(WIFEXITED(last.status) &&
              WEXITSTATUS(last.status) == ExitCodeOf(StopReason::kEvaluationBudget))
      << last.status;
  std::map<CandidateId, CandidateRow> rows = Rows();
  int64_t evaluated = 0;
  for (const auto& [id, row] : rows) {
    EXPECT_EQ(row.status, CandidateStatus::kDone) << id;
    if (id != 0 && row.candidate.result.outcome == Outcome::kOk) ++evaluated;
  }
  EXPECT_EQ(evaluated, kBudget);  // each child counted once, whatever was lost at a kill
  for (const auto& [id, before] : seen_done) {
    ASSERT_TRUE(rows.count(id)) << "committed candidate " << id << " lost";
    EXPECT_EQ(rows[id].completed_unix, before.completed_unix) << id;
    EXPECT_EQ(rows[id].candidate.program.files[0].content,
              before.candidate.program.files[0].content);
  }
  for (const auto& [id, program] : seen_pending) {
    ASSERT_TRUE(rows.count(id)) << "pending candidate " << id << " lost";
    EXPECT_EQ(rows[id].candidate.program.files[0].content, program);
    EXPECT_EQ(*rows[id].candidate.result.score, ScoreOf(rows[id].candidate.program));
  }
  RecordProperty("pending_at_kills", pending_at_kills);
}

// StartRun makes run.db as run.db.creating and renames it once it holds the
// initial program; a run killed before that is recognised as such.
TEST_F(EngineKillTest, ARunKilledWhileBeingCreatedIsNamedAsSuch) {
  {
    auto store = std::move(RunStore::Create((dir_ / "run.db.creating").string(), RunMetadata{}))
                     .value();
  }
  StatusOr<std::unique_ptr<RunStore>> opened = OpenRunStore(dir_.string());
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kNotFound);
  EXPECT_NE(opened.status().message().find("creation was interrupted"), std::string::npos)
      << opened.status().ToString();
}

}  // namespace
}  // namespace crucible
