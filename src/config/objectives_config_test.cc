// problem.yaml's `objectives:` (several objectives) and the frozen copy;
// `tuning:` through the whole problem.yaml path.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "config/config.h"

namespace crucible {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class ObjectivesConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/crucible-objectivestest-XXXXXX";
    dir_ = mkdtemp(tmpl);
    std::ofstream(dir_ / "prog.py") << "# EVOLVE-BLOCK-START\nx = 1\n# EVOLVE-BLOCK-END\n";
    std::ofstream(dir_ / "eval.sh") << "#!/bin/sh\n";
  }
  void TearDown() override { fs::remove_all(dir_); }
  StatusOr<RunConfig> Load(const std::string& more) {
    std::ofstream(dir_ / "problem.yaml") << base_ << more;
    return LoadProblemConfig(dir_.string(), ConfigReadOptions{});
  }
  fs::path dir_;
  const std::string base_ = "name: p\nfiles: [prog.py]\nevaluator: {command: ./eval.sh}\n";
};

TEST_F(ObjectivesConfigTest, AListOfTwoMakesTheFirstTheObjectiveAndIsFrozen) {
  auto c = Load(
      "objectives:\n  - {key: score, direction: maximize}\n"
      "  - {key: algo_cpu_ms_mean, direction: minimize}\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->objectives.size(), 2u);
  EXPECT_EQ(c->objective, c->objectives[0]);
  EXPECT_EQ(c->objectives[1].key, "algo_cpu_ms_mean");
  EXPECT_FALSE(c->objectives[1].maximize());
  auto back = ConfigFromJson(ConfigToJson(*c));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->objectives, c->objectives);
  EXPECT_EQ(back->objective, c->objective);
}

TEST_F(ObjectivesConfigTest, OneObjectiveIsFrozenAsBefore) {
  auto c = Load("objective: {key: err, direction: minimize}\n");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->objectives.empty());
  EXPECT_THAT(ConfigToJson(*c), HasSubstr("\"objective\""));
  EXPECT_THAT(ConfigToJson(*c), ::testing::Not(HasSubstr("\"objectives\"")));
}

TEST_F(ObjectivesConfigTest, ErrorsNameTheField) {
  EXPECT_THAT(Load("objectives:\n  - {key: a}\n").status().message(),
              HasSubstr("objectives: must be a list of two or more"));
  EXPECT_THAT(Load("objective: {key: a}\nobjectives: [{key: a}, {key: b}]\n").status().message(),
              HasSubstr("objectives: give either objective or objectives"));
  EXPECT_THAT(Load("objectives: [{key: a}, {key: a}]\n").status().message(),
              HasSubstr("objectives[1].key: repeats a"));
  EXPECT_THAT(Load("objectives: [{key: a}, {key: b, direction: up}]\n").status().message(),
              HasSubstr("objectives[1].direction"));
}

TEST_F(ObjectivesConfigTest, TuningIsReadAndFrozen) {
  auto c = Load("tuning: {evaluations: 18, budget_share: 0.25}\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->tuning.enabled);
  EXPECT_EQ(c->tuning.tune.max_evaluations, 18);
  auto back = ConfigFromJson(ConfigToJson(*c));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(back->tuning.enabled);
  EXPECT_EQ(back->tuning.budget_share, 0.25);
  auto off = Load("");
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->tuning.enabled);
  EXPECT_FALSE(ConfigFromJson(ConfigToJson(*off))->tuning.enabled);
}

}  // namespace
}  // namespace crucible
