#include "config/tuning_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace crucible {
namespace {

using ::testing::HasSubstr;

Status Read(const std::string& yaml, TuningOptions* out = nullptr) {
  YamlReader r("/p/problem.yaml");
  TuningOptions o;
  ReadTuningSection(r, YAML::Load(yaml), o);
  if (out) *out = o;
  return r.status();
}

TEST(TuningConfigTest, AbsentIsOffAndAMapTurnsItOn) {
  TuningOptions o;
  ASSERT_TRUE(Read("name: x\n", &o).ok());
  EXPECT_FALSE(o.enabled);
  ASSERT_TRUE(Read("tuning: true\n", &o).ok());
  EXPECT_TRUE(o.enabled);
  EXPECT_EQ(o.tune.max_evaluations, TuningOptions{}.tune.max_evaluations);
  Status s = Read(R"(
tuning:
  trigger: top_k
  top_k: 3
  budget_share: 0.5
  evaluations: 24
  population: 8
  sigma0: 0.2
  max_literals: 4
  integers: false
  range: 2
)", &o);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(o.enabled);
  EXPECT_EQ(o.trigger, TuneTrigger::kTopK);
  EXPECT_EQ(o.top_k, 3);
  EXPECT_EQ(o.budget_share, 0.5);
  EXPECT_EQ(o.tune.max_evaluations, 24);
  EXPECT_EQ(o.tune.population, 8);
  EXPECT_EQ(o.tune.sigma0, 0.2);
  EXPECT_EQ(o.tune.literals.max_literals, 4);
  EXPECT_FALSE(o.tune.literals.integers);
  EXPECT_EQ(o.tune.literals.range, 2);
  ASSERT_TRUE(Read("tuning: {enabled: false, evaluations: 12}\n", &o).ok());
  EXPECT_FALSE(o.enabled);
}

TEST(TuningConfigTest, ErrorsNameFileAndField) {
  EXPECT_THAT(Read("tuning: {trigger: often}\n").message(),
              HasSubstr("/p/problem.yaml: tuning.trigger"));
  EXPECT_THAT(Read("tuning: {budget_share: 2}\n").message(), HasSubstr("tuning.budget_share"));
  EXPECT_THAT(Read("tuning: {evaluations: 5, population: 6}\n").message(),
              HasSubstr("tuning.evaluations: must be >= population"));
  EXPECT_THAT(Read("tuning: {evals: 5}\n").message(), HasSubstr("evals"));
}

TEST(TuningConfigTest, TheFrozenFormReadsBackTheSame) {
  TuningOptions o;
  o.enabled = true;
  o.trigger = TuneTrigger::kTopK;
  o.top_k = 7;
  o.tune.max_evaluations = 40;
  o.tune.literals.range = 3;
  const nlohmann::json j = {{"tuning", TuningToJson(o)}};
  TuningOptions back;
  ASSERT_TRUE(Read(j.dump(), &back).ok());
  EXPECT_EQ(TuningToJson(back), TuningToJson(o));
  o.enabled = false;
  ASSERT_TRUE(Read(nlohmann::json({{"tuning", TuningToJson(o)}}).dump(), &back).ok());
  EXPECT_FALSE(back.enabled);
}

}  // namespace
}  // namespace crucible
