// The dashboard's grid is the engine's archive (issue #11): a run with a
// two-stage cascade, in which some children stop at the first stage, is
// SIGKILLed twice mid-run and resumed; the grid RunReader rebuilds from
// run.db then holds, cell for cell and island for island, what the resumed
// engine holds, and what a fresh resume (Engine::Restore) rebuilds.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <thread>
#include <tuple>

#include "archive/archive.h"
#include "config/config.h"
#include "core/hash.h"
#include "core/rng.h"
#include "dashboard/run_reader.h"
#include "engine/engine.h"
#include "engine/engine_test_util.h"
#include "store/run_store.h"

namespace crucible {
namespace {

namespace fs = std::filesystem;
using testing_util::InitialCandidate;
using testing_util::Killed;
using testing_util::ResumeAndExit;
using testing_util::RunAndKill;
using testing_util::RunDirTest;
using testing_util::ScoreOf;
using testing_util::Tick;

constexpr int64_t kBudget = 160;
constexpr double kThreshold = -6;  // the "quick" stage's bar

// Programs are "x = N\ns = 'zzz...'\n"; children move N by a seeded step and
// draw a new string length, so code_length spreads over the grid (a comment
// would not do: the duplicate check's hash ignores comments).
class StepProposer final : public Proposer {
 public:
  StatusOr<Proposal> Propose(const ProposalRequest& req, std::stop_token) override {
    Rng rng(req.seed);
    const long x = std::stol(req.parent->program.files[0].content.substr(4));
    Proposal p;
    p.program.files.push_back(
        {"p.py", "x = " + std::to_string(x + rng.UniformInt(-6, 6)) + "\ns = '" +
                     std::string(static_cast<size_t>(rng.UniformInt(0, 80)), 'z') + "'\n"});
    p.info.proposer = "step";
    return p;
  }
  std::string_view Name() const override { return "step"; }
  bool RunsInline() const override { return true; }
};

// A two-stage cascade as CommandEvaluator reports one: a child whose quick
// score misses the bar stops with stage "quick" (outcome ok, the cheap
// stage's score); the others reach "full". In the killed runs one child in
// six is slow (recorded pending, evaluated again on resume). Tells `ticks`
// after each evaluation.
class CascadeEvaluator final : public Evaluator {
 public:
  CascadeEvaluator(int ticks, bool slow) : ticks_(ticks), slow_(slow) {}
  EvalResult Evaluate(const EvalRequest& req, std::stop_token stop) override {
    if (slow_ && req.seed % 6 == 1) {
      for (int i = 0; i < 80 && !stop.stop_requested(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
    EvalResult r;
    r.outcome = Outcome::kOk;
    const double quick = ScoreOf(*req.program) - 0.5;
    if (quick < kThreshold) {
      r.stage = "quick";
      r.score = quick;
    } else {
      r.stage = "full";
      r.score = ScoreOf(*req.program);
    }
    Tick(ticks_);
    return r;
  }
  std::string Describe() const override { return "cascade"; }

 private:
  int ticks_;
  bool slow_;
};

RunConfig CascadeConfig() {
  RunConfig config;
  config.name = "cascade";
  config.problem_dir = "/nonexistent/cascade";
  config.files = {"p.py"};
  config.evaluator_command = {"true"};
  config.stages = {{"quick", kThreshold}, {"full", std::nullopt}};
  config.archive.num_islands = 2;
  config.archive.migration_interval = 7;
  config.archive.features = {{"code_length", 16, {}, {}}};
  config.budget.evaluations = kBudget;
  return config;
}

EngineOptions Options(const RunConfig& config, int jobs) {
  EngineOptions o;
  o.jobs = jobs;
  o.seed = 5;
  o.budget = config.budget;
  o.objective = config.objective;
  o.final_stage = config.stages.back().name;
  return o;
}

using Cells = std::map<std::tuple<int, std::vector<int>>, CandidateId>;

Cells CellsOf(const Archive& archive) {
  Cells out;
  for (int i = 0; i < archive.num_islands(); ++i) {
    for (const CellView& c : archive.Grid(i)) out[{i, c.coords}] = c.id;
  }
  return out;
}

class GridResumeTest : public RunDirTest {
 protected:
  // Resumes the run (in a child process, which is killed).
  void ResumeRun(int ticks) {
    const RunConfig config = CascadeConfig();
    StepProposer proposer;
    CascadeEvaluator eval(ticks, /*slow=*/true);
    ResumeAndExit(Path(), config.archive, Options(config, 2), proposer, eval);
  }
};

TEST_F(GridResumeTest, DashboardGridEqualsTheEnginesArchiveAfterKillAndResume) {
  const RunConfig config = CascadeConfig();
  {
    RunMetadata meta;
    meta.config_json = ConfigToJson(config);
    auto store = std::move(RunStore::Create(Path(), meta)).value();
    ASSERT_TRUE(store->InsertDone(InitialCandidate("p.py", "x = 38\ns = 'zz'\n", -4)).ok());
  }
  // Two kills after a seeded number of evaluations each.
  Rng rng(77);
  for (int round = 0; round < 2; ++round) {
    const Killed k =
        RunAndKill(rng.UniformInt(30, 50), [this](int ticks) { ResumeRun(ticks); });
    ASSERT_TRUE(k.killed()) << "the run ended before it was killed: exit "
                            << WEXITSTATUS(k.status) << " after " << k.ticks;
  }
  // The last resume runs here to the end of the budget, one job at a time,
  // so that its inserts follow the ids, as every replay of the run does.
  auto store = std::move(RunStore::Open(Path(), RunStore::Mode::kReadWrite)).value();
  auto live = std::move(Archive::Create(config.archive)).value();
  {
    StepProposer proposer;
    CascadeEvaluator eval(-1, /*slow=*/false);
    SystemClock clock;
    Engine engine(Options(config, 1), *store, *live, proposer, eval, clock);
    ASSERT_TRUE(engine.Restore().ok());
    auto summary = engine.Run({});
    ASSERT_TRUE(summary.ok()) << summary.status().ToString();
    EXPECT_EQ(summary->reason, StopReason::kEvaluationBudget);
  }
  // The run has what the test is about: children stopped at the first stage
  // (ok, with a score) and children that reached the final one.
  auto rows = store->LoadCandidates();
  ASSERT_TRUE(rows.ok());
  int64_t quick = 0, full = 0;
  std::map<CandidateId, std::string> stage_of;
  for (const CandidateRow& r : *rows) {
    stage_of[r.candidate.id] = r.candidate.result.stage;
    ASSERT_EQ(r.status, CandidateStatus::kDone) << r.candidate.id;
    if (r.candidate.result.outcome != Outcome::kOk) continue;
    (r.candidate.result.stage == "quick" ? quick : full) += 1;
  }
  EXPECT_GT(quick, 10);
  EXPECT_GT(full, 10);
  // A fresh resume of the finished run: the archive the engine rebuilds.
  auto rebuilt = std::move(Archive::Create(config.archive)).value();
  {
    StepProposer proposer;
    CascadeEvaluator eval(-1, false);
    SystemClock clock;
    Engine engine(Options(config, 1), *store, *rebuilt, proposer, eval, clock);
    ASSERT_TRUE(engine.Restore().ok());
  }
  store.reset();
  // The dashboard, through its own code path.
  auto reader = RunReader::Open(dir_.string());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  auto grid = (*reader)->LoadGrid();
  ASSERT_TRUE(grid.ok()) << grid.status().ToString();
  Cells shown;
  std::map<int, int> shown_per_island;
  for (const GridCell& c : grid->cells) {
    shown[{c.island, c.coords}] = c.id;
    ++shown_per_island[c.island];
  }
  const Cells engine_cells = CellsOf(*live);
  std::map<int, int> engine_per_island;
  for (const auto& [key, id] : engine_cells) ++engine_per_island[std::get<0>(key)];
  EXPECT_EQ(grid->islands, live->num_islands());
  EXPECT_EQ(shown_per_island, engine_per_island);
  EXPECT_EQ(shown, engine_cells);
  EXPECT_EQ(shown, CellsOf(*rebuilt));
  EXPECT_GT(shown.size(), 4u);
  // No cell holds a candidate the cascade stopped early.
  for (const auto& [key, id] : shown) {
    EXPECT_EQ(stage_of[id], "full") << "cell of candidate " << id;
  }
}

}  // namespace
}  // namespace crucible
