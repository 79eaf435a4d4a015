#include "problems/cant_be_late_policy/src/harness.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "config/parameters.h"
#include "core/file.h"
#include "core/rng.h"
#include "problems/cant_be_late_policy/src/policy.h"

namespace crucible::cblp {
namespace {

const std::string kDir = std::string(CRUCIBLE_PROBLEMS_DIR) + "/cant_be_late_policy";

// problem.yaml declares the space the harness accepts, and the shipped
// parameters.json is the initial program crucible writes from its defaults.
TEST(CantBeLatePolicyTest, ProblemYamlDeclaresTheHarnessSpace) {
  YamlReader r(kDir + "/problem.yaml");
  SearchOptions o;
  ReadSearchSections(r, YAML::LoadFile(kDir + "/problem.yaml"), o);
  ASSERT_TRUE(r.status().ok()) << r.status().ToString();
  EXPECT_EQ(o.parameters.ToJson(), PolicySpace().ToJson());
  EXPECT_EQ(ReadFile(kDir + "/parameters.json").value_or(""),
            PolicySpace().ValuesToJson(PolicySpace().Defaults()));
  // The two-objective variant (front/) searches the same space from the same start.
  YamlReader rf(kDir + "/front/problem.yaml");
  SearchOptions f;
  ReadSearchSections(rf, YAML::LoadFile(kDir + "/front/problem.yaml"), f);
  ASSERT_TRUE(rf.status().ok()) << rf.status().ToString();
  EXPECT_EQ(f.parameters.ToJson(), PolicySpace().ToJson());
  EXPECT_EQ(ReadFile(kDir + "/front/parameters.json").value_or("-"),
            ReadFile(kDir + "/parameters.json").value_or(""));
}

// With the defaults the policy is the greedy seed, decision for decision.
TEST(CantBeLatePolicyTest, DefaultsAreTheGreedySeed) {
  StatusOr<PolicyParams> p = ParsePolicyParams(ReadFile(kDir + "/parameters.json").value_or(""));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ParamPolicy policy(*p);
  cbl::GreedyPolicy greedy;
  Rng rng(1);
  for (int i = 0; i < 100000; ++i) {
    ::cbl::Observation o;
    o.gap_s = 600;
    o.task_s = 48 * 3600;
    o.deadline_s = (52 + 20 * rng.UniformDouble()) * 3600;
    o.overhead_s = 0.4 * 3600 * rng.UniformDouble();
    o.tick = static_cast<int64_t>(rng.Uniform(554));
    o.elapsed_s = static_cast<double>(o.tick) * o.gap_s;
    o.done_s = std::min(o.task_s, o.elapsed_s * rng.UniformDouble());
    o.current_type = static_cast<::cbl::ClusterType>(rng.Uniform(3));
    o.has_spot = rng.Bernoulli(0.5);
    ASSERT_EQ(policy.Step(o), greedy.Step(o)) << i;
  }
}

TEST(CantBeLatePolicyTest, DefaultsReproduceTheGreedyCostOnBothSplits) {
  const std::string defaults = ReadFile(kDir + "/parameters.json").value_or("");
  StatusOr<HarnessReport> train = EvaluateParameters(defaults, "train");
  ASSERT_TRUE(train.ok()) << train.status().ToString();
  ASSERT_TRUE(train->valid) << train->feedback;
  EXPECT_NEAR(train->metrics.at("mean_cost"), 85.2346, 5e-5);
  EXPECT_EQ(train->metrics.at("scenarios"), 4200);
  StatusOr<HarnessReport> heldout = EvaluateParameters(defaults, "heldout");
  ASSERT_TRUE(heldout.ok());
  EXPECT_NEAR(heldout->metrics.at("mean_cost"), 114.7091, 5e-5);
  EXPECT_EQ(heldout->metrics.at("scenarios"), 9000);
}

TEST(CantBeLatePolicyTest, OtherValuesChangeTheCostAndMissesAreInvalid) {
  // Waiting less for spot (a Uniform-Progress idle rule) costs something
  // else; never committing in time misses deadlines, which fails.
  StatusOr<HarnessReport> up = EvaluateParameters(
      R"({"commit_restarts": 1, "caution_restarts": 1, "commit_margin_hours": 0.5,
          "switch_back_hours": 2, "idle": "uniform_progress", "pace": 0.9})",
      "train");
  ASSERT_TRUE(up.ok());
  ASSERT_TRUE(up->valid) << up->feedback;
  EXPECT_GT(std::abs(up->metrics.at("mean_cost") - 85.2346), 0.01);
  StatusOr<HarnessReport> od = EvaluateParameters(
      R"({"commit_restarts": 0, "caution_restarts": 0, "commit_margin_hours": 0.01,
          "switch_back_hours": 0, "idle": "on_demand", "pace": 1})",
      "train");
  ASSERT_TRUE(od.ok());
  EXPECT_TRUE(od->valid) << od->feedback;  // the harness's guarantee still meets deadlines
}

// front/'s second objective: the smallest slack (hours before the deadline
// at the finish) over the train scenarios. The greedy seed commits at the
// last tick that still meets the deadline; a commit margin buys slack with
// cost.
TEST(CantBeLatePolicyTest, ACommitMarginTradesCostForSlack) {
  StatusOr<HarnessReport> greedy =
      EvaluateParameters(ReadFile(kDir + "/parameters.json").value_or(""), "train");
  ASSERT_TRUE(greedy.ok() && greedy->valid);
  EXPECT_EQ(greedy->metrics.at("min_slack_hours"), 0);
  EXPECT_GT(greedy->metrics.at("mean_slack_hours"), 0);
  StatusOr<HarnessReport> margin = EvaluateParameters(
      R"({"commit_restarts": 1, "caution_restarts": 1, "commit_margin_hours": 2,
          "switch_back_hours": 0, "idle": "wait", "pace": 1})",
      "train");
  ASSERT_TRUE(margin.ok() && margin->valid) << margin->feedback;
  EXPECT_NEAR(margin->metrics.at("min_slack_hours"), 2, 1e-9);
  EXPECT_GT(margin->metrics.at("mean_cost"), greedy->metrics.at("mean_cost"));
  EXPECT_GT(margin->metrics.at("mean_slack_hours"), greedy->metrics.at("mean_slack_hours"));
}

TEST(CantBeLatePolicyTest, ValuesOutsideTheSpaceAreInvalidNamingTheField) {
  StatusOr<HarnessReport> r = EvaluateParameters(
      R"({"commit_restarts": 9, "caution_restarts": 1, "commit_margin_hours": 0.01,
          "switch_back_hours": 0, "idle": "wait", "pace": 1})",
      "train");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->valid);
  EXPECT_EQ(r->outcome, "invalid");
  EXPECT_EQ(r->feedback, "parameters.commit_restarts: 9 is outside [0, 4]");
  EXPECT_EQ(EvaluateParameters("{}", "nosuchsplit").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace crucible::cblp
