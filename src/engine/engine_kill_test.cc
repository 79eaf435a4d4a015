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
#include "engine/run.h"
#include "store/run_store.h"

namespace crucible {
namespace {

namespace fs = std::filesystem;

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

double ScoreOf(const Program& p) {
  return -std::abs(static_cast<double>(std::stol(p.files[0].content.substr(4)) - 42));
}

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
    if (ticks_ >= 0) {
      const char byte = 't';
      (void)!::write(ticks_, &byte, 1);
    }
    return r;
  }
  std::string Describe() const override { return "ticking"; }

 private:
  int ticks_;
};

class EngineKillTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/crucible-enginekill-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Path() const { return (dir_ / "run.db").string(); }

  // Resumes the run in a child process; returns its pid.
  pid_t StartRun(int ticks) {
    const pid_t pid = ::fork();
    if (pid != 0) return pid;
    auto store = RunStore::Open(Path(), RunStore::Mode::kReadWrite);
    if (!store.ok()) ::_exit(3);
    ArchiveOptions ao;
    ao.num_islands = 2;
    auto archive = std::move(Archive::Create(ao)).value();
    StepProposer proposer;
    TickingEvaluator eval(ticks);
    SystemClock clock;
    EngineOptions o;
    o.jobs = 2;
    o.seed = 11;
    o.budget.evaluations = kBudget;
    Engine engine(o, **store, *archive, proposer, eval, clock);
    if (!engine.Restore().ok()) ::_exit(4);
    auto summary = engine.Run({});
    ::_exit(summary.ok() && summary->reason == StopReason::kEvaluationBudget ? 0 : 5);
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

  fs::path dir_;
};

TEST_F(EngineKillTest, KilledAnywhereAndResumedLosesNoCommittedResultAndCountsEachChildOnce) {
  {
    auto store = std::move(RunStore::Create(Path(), RunMetadata{})).value();
    Candidate c;
    c.id = 0;
    c.program.files.push_back({"p.py", "x = 0\ny = 0\n"});
    c.source_hash = NormalizedProgramHash(c.program);
    c.proposal.proposer = "initial";
    c.result.outcome = Outcome::kOk;
    c.result.score = ScoreOf(c.program);
    c.result.stage = "full";
    ASSERT_TRUE(store->InsertDone(c).ok());
  }
  std::map<CandidateId, CandidateRow> seen_done;     // committed results, across kills
  std::map<CandidateId, std::string> seen_pending;  // in flight at a kill: program
  Rng rng(2026);
  int pending_at_kills = 0;
  for (int round = 0; round < kKills; ++round) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t pid = StartRun(fds[1]);
    ASSERT_GE(pid, 0);
    ::close(fds[1]);
    // Kill after a seeded number of evaluations: at whatever point the
    // orchestrator is then (applying, committing, selecting, waiting).
    const int64_t wait_for = rng.UniformInt(5, 30);
    char buf[64];
    int64_t got = 0;
    while (got < wait_for) {
      const ssize_t n = ::read(fds[0], buf, std::min<int64_t>(sizeof buf, wait_for - got));
      if (n <= 0) break;  // the run ended first
      got += n;
    }
    ::kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ::close(fds[0]);
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
  const pid_t pid = StartRun(-1);
  ASSERT_GE(pid, 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
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
