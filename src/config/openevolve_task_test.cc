// OpenEvolve task directories read as crucible problems: OpenEvolve's own
// example configurations (tests/data/openevolve/, copied unchanged).
#include "config/openevolve_task.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace crucible {
namespace {

namespace fs = std::filesystem;

const fs::path kData = fs::path(CRUCIBLE_SOURCE_DIR) / "tests" / "data" / "openevolve";

bool Lists(const ForeignTask& t, const std::string& key) {
  return std::any_of(t.unused_keys.begin(), t.unused_keys.end(),
                     [&](const std::string& k) { return k.rfind(key + " (", 0) == 0; });
}

TEST(OpenEvolveTaskTest, FunctionMinimizationMapsEveryKeyWithACounterpart) {
  const std::string dir = (kData / "function_minimization").string();
  EXPECT_EQ(DetectTaskFormat(dir, {}), TaskFormat::kOpenEvolve);
  auto t = LoadOpenEvolveTask(dir, {});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  const RunConfig& c = t->config;
  EXPECT_EQ(c.files, std::vector<std::string>{"initial_program.py"});
  ASSERT_TRUE(c.python_evaluator.has_value());
  EXPECT_EQ(c.python_evaluator->file, (fs::path(dir) / "evaluator.py").string());
  EXPECT_EQ(c.python_evaluator->format, PythonEvaluatorFormat::kOpenEvolve);
  EXPECT_EQ(c.python_evaluator->cascade, std::vector<double>{1.3});
  EXPECT_EQ(c.budget.evaluations, 10);
  ASSERT_EQ(c.llm.models.size(), 2u);
  EXPECT_EQ(c.llm.models[0].name, "gemini-2.5-flash-lite");
  EXPECT_DOUBLE_EQ(c.llm.models[0].weight, 0.8);
  EXPECT_EQ(c.llm.models[1].name, "gemini-2.5-flash");
  EXPECT_DOUBLE_EQ(c.llm.models[1].weight, 0.2);
  EXPECT_EQ(c.llm.models[0].max_tokens, 16000);
  EXPECT_DOUBLE_EQ(c.llm.models[1].temperature, 0.7);
  EXPECT_EQ(c.llm.base_url, "https://generativelanguage.googleapis.com/v1beta/openai/");
  EXPECT_DOUBLE_EQ(c.llm.timeout_seconds, 120);
  EXPECT_EQ(c.prompt_text.rfind("You are an expert programmer", 0), 0u);
  EXPECT_EQ(c.archive.num_islands, 3);
  EXPECT_EQ(c.archive.elite_size, 20 / 3);
  EXPECT_DOUBLE_EQ(c.archive.selection.elite, 0.7);
  // OpenEvolve's cascade (evaluate_stage1/2, cascade_thresholds [1.3]) as
  // crucible's stages, each one call bounded by evaluator.timeout.
  ASSERT_EQ(c.stages.size(), 2u);
  EXPECT_EQ(c.stages[0].name, "stage1");
  EXPECT_EQ(c.stages[1].name, "stage2");
  EXPECT_FALSE(c.stages[0].threshold.has_value());  // the adapter applies OpenEvolve's test
  EXPECT_DOUBLE_EQ(c.sandbox.wall_timeout_seconds, 60);
  EXPECT_EQ(c.max_program_bytes, 20000u);
  EXPECT_DOUBLE_EQ(c.llm.diff_weight, 1.0);
  EXPECT_DOUBLE_EQ(c.llm.novelty_threshold, 0.99);
  for (const char* key : {"checkpoint_interval", "database.population_size",
                          "database.elite_selection_ratio", "evaluator.parallel_evaluations"}) {
    EXPECT_TRUE(Lists(*t, key)) << key;
  }
  // Used keys are not listed.
  for (const char* key : {"max_iterations", "llm.primary_model", "database.num_islands",
                          "evaluator.timeout", "prompt.system_message"}) {
    EXPECT_FALSE(Lists(*t, key)) << key;
  }
}

TEST(OpenEvolveTaskTest, SignalProcessingListsTopPAndTemplateKeys) {
  auto t = LoadOpenEvolveTask((kData / "signal_processing").string(), {});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->config.python_evaluator->cascade, (std::vector<double>{0.3, 0.6}));
  ASSERT_EQ(t->config.stages.size(), 2u);  // no evaluate_stage3
  EXPECT_EQ(t->config.stages[1].name, "stage2");
  EXPECT_EQ(t->config.llm.models[0].max_tokens, 32000);
  EXPECT_TRUE(Lists(*t, "llm.top_p"));
  EXPECT_TRUE(Lists(*t, "prompt.use_template_stochasticity"));
  EXPECT_TRUE(Lists(*t, "evaluator.use_llm_feedback"));
  EXPECT_TRUE(Lists(*t, "log_level"));
}

TEST(OpenEvolveTaskTest, CascadeStagesFollowTheStageFunctionsAndThresholds) {
  auto names = [](const std::vector<CascadeStage>& stages) {
    std::vector<std::string> out;
    for (const CascadeStage& s : stages) out.push_back(s.name);
    return out;
  };
  using Names = std::vector<std::string>;
  const std::string packing = (kData / "circle_packing" / "evaluator.py").string();
  EXPECT_EQ(names(OpenEvolveCascadeStages(packing, {0.5, 0.75})), (Names{"stage1", "stage2"}));
  EXPECT_EQ(names(OpenEvolveCascadeStages(packing, {})), (Names{"stage1"}));  // no threshold for stage 2
  // evaluate() only: one call, crucible's single stage.
  const std::string rect = (kData / "circle_packing_rect" / "evaluator.py").string();
  EXPECT_EQ(names(OpenEvolveCascadeStages(rect, {0.5, 0.75})), (Names{"full"}));
}

TEST(OpenEvolveTaskTest, ConfigFlagNamesAnotherFile) {
  const std::string dir = (kData / "circle_packing").string();
  auto missing = LoadOpenEvolveTask(dir, {"nope.yaml", "", ""});
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  auto t = LoadOpenEvolveTask(dir, {"config_phase_1.yaml", "", ""});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_GT(*t->config.budget.evaluations, 0);
}

TEST(OpenEvolveTaskTest, AnUnknownKeyIsListedAndABadValueNamesItsField) {
  char tmpl[] = "/tmp/crucible-oetest-XXXXXX";
  const fs::path dir = mkdtemp(tmpl);
  std::ofstream(dir / "initial_program.py") << "x = 1\n";
  std::ofstream(dir / "evaluator.py") << "def evaluate(p):\n    return {}\n";
  std::ofstream(dir / "config.yaml") << "max_iterations: 5\nfancy_new_key: 1\nllm:\n  mystery: 2\n";
  auto t = LoadOpenEvolveTask(dir.string(), {});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_TRUE(Lists(*t, "fancy_new_key"));
  EXPECT_TRUE(Lists(*t, "llm.mystery"));
  EXPECT_TRUE(t->config.llm.base_url.empty());  // OpenEvolve's default endpoint is not explicit
  EXPECT_EQ(t->config.archive.num_islands, 5);   // OpenEvolve's default
  std::ofstream(dir / "config.yaml") << "database:\n  num_islands: many\n";
  auto bad = LoadOpenEvolveTask(dir.string(), {});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("database.num_islands"), std::string::npos)
      << bad.status().message();
  fs::remove_all(dir);
}

TEST(OpenEvolveTaskTest, NoveltyLlmTurnsOnTheNoveltyJudge) {
  char tmpl[] = "/tmp/crucible-oetest-XXXXXX";
  const fs::path dir = mkdtemp(tmpl);
  std::ofstream(dir / "initial_program.py") << "x = 1\n";
  std::ofstream(dir / "evaluator.py") << "def evaluate(p):\n    return {}\n";
  const std::string models = "llm:\n  api_base: http://127.0.0.1:8000/v1\n  models:\n    - {name: a, weight: 1}\n    - {name: b, weight: 1}\n";
  const auto load = [&](const std::string& db) {
    std::ofstream(dir / "config.yaml") << models << "database:\n" << db;
    return LoadOpenEvolveTask(dir.string(), {});
  };
  auto off = load("  novelty_llm: null\n");  // OpenEvolve's default
  ASSERT_TRUE(off.ok()) << off.status().ToString();
  EXPECT_FALSE(off->config.llm.novelty_judge);
  EXPECT_FALSE(Lists(*off, "database.novelty_llm"));
  auto on = load("  novelty_llm: true\n");
  ASSERT_TRUE(on.ok()) << on.status().ToString();
  EXPECT_TRUE(on->config.llm.novelty_judge);
  EXPECT_EQ(on->config.llm.novelty_judge_model, "");
  EXPECT_FALSE(Lists(*on, "database.novelty_llm"));
  auto named = load("  novelty_llm: b\n");
  ASSERT_TRUE(named.ok()) << named.status().ToString();
  EXPECT_TRUE(named->config.llm.novelty_judge);
  EXPECT_EQ(named->config.llm.novelty_judge_model, "b");
  auto unknown = load("  novelty_llm: c\n");
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("judge_model"), std::string::npos)
      << unknown.status().message();
  fs::remove_all(dir);
}

TEST(OpenEvolveTaskTest, TheFrozenConfigurationKeepsThePythonEvaluator) {
  auto t = LoadOpenEvolveTask((kData / "function_minimization").string(), {});
  ASSERT_TRUE(t.ok());
  auto back = ConfigFromJson(ConfigToJson(t->config));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->python_evaluator, t->config.python_evaluator);
  EXPECT_EQ(back->prompt_text, t->config.prompt_text);
  EXPECT_EQ(back->seed, t->config.seed);
  EXPECT_EQ(back->warm, t->config.warm);
}

}  // namespace
}  // namespace crucible
