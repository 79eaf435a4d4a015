// The engine with several objectives: a Pareto population per island, the
// run's front and hypervolume in Progress, each change of the front an
// event in run.db; deterministic like the single-objective run.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/hash.h"
#include "core/rng.h"
#include "engine/engine.h"
#include "engine/engine_test_util.h"
#include "engine/run.h"

namespace crucible {
namespace {

namespace fs = std::filesystem;
using testing_util::StepProposer;

// Two objectives in tension: score = -|x - 60| (maximise), cost = |x| (minimise).
class TradeOffEvaluator final : public Evaluator {
 public:
  EvalResult Evaluate(const EvalRequest& req, std::stop_token) override {
    const double x = static_cast<double>(std::stol(req.program->files[0].content.substr(4)));
    EvalResult r;
    r.outcome = Outcome::kOk;
    r.score = -std::abs(x - 60);
    r.metrics = {{"cost", std::abs(x)}};
    r.stage = "full";
    return r;
  }
  std::string Describe() const override { return "in-process"; }
};

struct RunOutcome {
  Progress progress;
  std::vector<std::string> fronts;  // the json of every "front" event
};

RunOutcome RunOnce(const fs::path& path) {
  TradeOffEvaluator eval;
  auto store = std::move(RunStore::Create(path.string(), RunMetadata{})).value();
  Candidate c;
  c.id = 0;
  c.program.files.push_back({"p.py", "x = 30\n"});
  c.source_hash = NormalizedProgramHash(c.program);
  c.proposal.proposer = "initial";
  EvalRequest req{0, &c.program, 0, Split::kTrain};
  c.result = eval.Evaluate(req, {});
  EXPECT_TRUE(store->InsertDone(c).ok());
  ArchiveOptions a;
  a.num_islands = 2;
  auto archive = std::move(Archive::Create(a)).value();
  StepProposer proposer(9);
  EngineOptions o;
  o.jobs = 2;
  o.deterministic = true;
  o.seed = 5;
  o.budget.evaluations = 80;
  o.objective = {"score", Direction::kMaximize};
  o.objectives = {o.objective, {"cost", Direction::kMinimize}};
  SystemClock clock;
  Engine engine(o, *store, *archive, proposer, eval, clock);
  EXPECT_TRUE(engine.Restore().ok());
  auto summary = engine.Run({});
  EXPECT_TRUE(summary.ok());
  RunOutcome out;
  out.progress = summary->progress;
  auto events = store->LoadEvents();
  EXPECT_TRUE(events.ok());
  for (const auto& e : *events) {
    if (e.kind == "front") out.fronts.push_back(e.json);
  }
  // `crucible best`'s front: every member written apart.
  const fs::path run_dir = path.string() + ".run";
  auto front = WriteFrontDir(run_dir.string(), *store);
  EXPECT_TRUE(front.ok()) << front.status().ToString();
  if (front.ok()) {
    EXPECT_EQ(static_cast<int64_t>(front->members.size()), out.progress.front_size);
    EXPECT_EQ(front->hypervolume, *out.progress.hypervolume);
    for (const Candidate& m : front->members) {
      EXPECT_TRUE(fs::exists(run_dir / "best" / "front" / std::to_string(m.id) / "p.py"));
      EXPECT_TRUE(fs::exists(run_dir / "best" / "front" / std::to_string(m.id) / "metrics.json"));
    }
  }
  // A resume rebuilds the front from the store.
  auto archive2 = std::move(Archive::Create(a)).value();
  Engine again(o, *store, *archive2, proposer, eval, clock);
  EXPECT_TRUE(again.Restore().ok());
  EXPECT_EQ(again.CurrentProgress().hypervolume, out.progress.hypervolume);
  EXPECT_EQ(again.CurrentProgress().front_size, out.progress.front_size);
  return out;
}

TEST(EngineObjectivesTest, TracksTheFrontAndItsHypervolume) {
  char tmpl[] = "/tmp/crucible-engineobj-XXXXXX";
  const fs::path dir = mkdtemp(tmpl);
  const RunOutcome a = RunOnce(dir / "a.db");
  const RunOutcome b = RunOnce(dir / "b.db");
  fs::remove_all(dir);

  ASSERT_TRUE(a.progress.hypervolume.has_value());
  EXPECT_GT(*a.progress.hypervolume, 0);
  EXPECT_GE(a.progress.front_size, 2);  // the trade-off has more than one end
  ASSERT_FALSE(a.fronts.empty());
  // The last event is the front: mutually non-dominated members whose
  // values are the objectives' own (score <= 0, cost >= 0).
  const auto last = nlohmann::json::parse(a.fronts.back());
  EXPECT_DOUBLE_EQ(last["hypervolume"].get<double>(), *a.progress.hypervolume);
  const auto& members = last["members"];
  ASSERT_EQ(static_cast<int64_t>(members.size()), a.progress.front_size);
  for (const auto& m : members) {
    EXPECT_LE(m["values"][0].get<double>(), 0);
    EXPECT_GE(m["values"][1].get<double>(), 0);
    for (const auto& n : members) {
      if (m["id"] == n["id"]) continue;
      const bool dominates = m["values"][0] >= n["values"][0] && m["values"][1] <= n["values"][1];
      EXPECT_FALSE(dominates) << m << " dominates " << n;
    }
  }
  // Hypervolume never falls.
  double hv = 0;
  for (const std::string& f : a.fronts) {
    const double next = nlohmann::json::parse(f)["hypervolume"].get<double>();
    EXPECT_GE(next, hv);
    hv = next;
  }
  // Deterministic: the same seed gives the same fronts (members and
  // hypervolume; "evaluations" counts results arrived, which depends on timing).
  auto strip = [](const std::vector<std::string>& fronts) {
    std::vector<std::string> out;
    for (const std::string& f : fronts) {
      nlohmann::json j = nlohmann::json::parse(f);
      j.erase("evaluations");
      out.push_back(j.dump());
    }
    return out;
  };
  EXPECT_EQ(strip(a.fronts), strip(b.fronts));
}

}  // namespace
}  // namespace crucible
