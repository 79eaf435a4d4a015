#include "config/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

namespace crucible {
namespace {

namespace fs = std::filesystem;

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/crucible-configtest-XXXXXX";
    dir_ = mkdtemp(tmpl);
    std::ofstream(dir_ / "prog.py") << "# EVOLVE-BLOCK-START\nx = 1\n# EVOLVE-BLOCK-END\n";
    std::ofstream(dir_ / "eval.sh") << "#!/bin/sh\n";
  }
  void TearDown() override { fs::remove_all(dir_); }

  StatusOr<RunConfig> Load(const std::string& yaml) {
    std::ofstream(dir_ / "problem.yaml") << yaml;
    return LoadProblemConfig(dir_.string(), options_);
  }
  std::string Yaml() const { return (dir_ / "problem.yaml").string(); }

  fs::path dir_;
  // The built-in evaluators this test's "binary" knows.
  ConfigReadOptions options_{std::vector<std::string>{"bin_packing", "eplb"}};
  const std::string base_ = "name: p\nfiles: [prog.py]\nevaluator: {command: ./eval.sh}\n";
};

TEST_F(ConfigTest, MinimalProblemGetsDefaults) {
  auto c = Load(base_);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->name, "p");
  EXPECT_EQ(c->evaluator_command, std::vector<std::string>{"./eval.sh"});
  EXPECT_EQ(c->archive.num_islands, 4);
  EXPECT_EQ(c->stages.size(), 1u);
  EXPECT_TRUE(c->objective.maximize());
  EXPECT_EQ(*c->budget.evaluations, 100);
}

TEST_F(ConfigTest, SlurmSectionIsReadAndFrozen) {
  auto c = Load(base_ +
                "executor: slurm\n"
                "slurm:\n"
                "  partition: gpu\n  account: proj42\n  qos: short\n  time: \"0:20:00\"\n"
                "  memory_mb: 8000\n  cpus: 4\n  gpus: 1\n"
                "  sbatch_lines: [\"--constraint=a100\", \"--exclusive\"]\n"
                "  prologue: |\n    module load gcc/12\n    source /opt/env.sh\n"
                "  max_queued: 200\n  queue_timeout: 7200\n  poll_interval: 2\n"
                "  max_retries: 3\n  result_grace: 60\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->executor, ExecutorKind::kSlurm);
  EXPECT_EQ(c->slurm.partition, "gpu");
  EXPECT_EQ(c->slurm.time, "0:20:00");
  EXPECT_EQ(c->slurm.gpus, 1);
  EXPECT_EQ(c->slurm.sbatch_lines, (std::vector<std::string>{"--constraint=a100", "--exclusive"}));
  EXPECT_EQ(c->slurm.prologue, "module load gcc/12\nsource /opt/env.sh\n");
  auto back = ConfigFromJson(ConfigToJson(*c));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->executor, ExecutorKind::kSlurm);
  EXPECT_EQ(back->slurm.account, "proj42");
  EXPECT_EQ(back->slurm.qos, "short");
  EXPECT_EQ(back->slurm.memory_mb, 8000);
  EXPECT_EQ(back->slurm.cpus, 4);
  EXPECT_EQ(back->slurm.sbatch_lines, c->slurm.sbatch_lines);
  EXPECT_EQ(back->slurm.prologue, c->slurm.prologue);
  EXPECT_EQ(back->slurm.max_queued, 200);
  EXPECT_EQ(back->slurm.queue_timeout_seconds, 7200);
  EXPECT_EQ(back->slurm.poll_seconds, 2);
  EXPECT_EQ(back->slurm.max_retries, 3);
  EXPECT_EQ(back->slurm.result_grace_seconds, 60);
}

TEST_F(ConfigTest, SlurmErrorsNameTheField) {
  auto c = Load(base_ + "executor: cloud\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("executor"), std::string::npos) << c.status().message();
  c = Load(base_ + "slurm: {time: soon}\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("slurm.time"), std::string::npos) << c.status().message();
  c = Load(base_ + "slurm: {gpus: -1}\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("slurm.gpus"), std::string::npos) << c.status().message();
  c = Load(base_ + "slurm: {sbatch_lines: \"--exclusive\"}\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("slurm.sbatch_lines"), std::string::npos);
  c = Load(base_ + "slurm: {partitions: x}\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("partitions"), std::string::npos) << c.status().message();
}

TEST_F(ConfigTest, FullProblem) {
  auto c = Load(base_ +
                "objective: {key: rmse, direction: minimize}\n"
                "archive: {islands: 3, selection: {uniform: 1, weighted: 0, elite: 0}}\n"
                "features: [{name: code_length, bins: 5}, {name: speed, bins: 4, min: 0, max: 1}]\n"
                "budget: {evaluations: 7, time: 30}\n"
                "mutate: {max_operators: 2, operators: {crossover: 0}}\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_FALSE(c->objective.maximize());
  EXPECT_EQ(c->objective.key, "rmse");
  EXPECT_EQ(c->archive.num_islands, 3);
  ASSERT_EQ(c->archive.features.size(), 2u);
  EXPECT_EQ(*c->archive.features[1].max, 1.0);
  EXPECT_EQ(*c->budget.evaluations, 7);
  EXPECT_EQ(*c->budget.seconds, 30);
  EXPECT_EQ(c->mutate.operator_weights.at("crossover"), 0);
}

TEST_F(ConfigTest, ErrorsNameFileAndField) {
  EXPECT_EQ(Load(base_ + "archiv: {}\n").status().message(),
            Yaml() + ": archiv: unknown key (known keys here: name, description, files, prompt, "
                     "evaluator, objective, archive, features, mutate, budget, limits, problem_dir, "
                     "proposer, llm, executor, slurm, prompt_text, seed, parameters, search, tuning, "
                     "objectives)");
  EXPECT_EQ(Load(base_ + "archive: {islands: four}\n").status().message(),
            Yaml() + ": archive.islands: expected an integer, got 'four'");
  EXPECT_EQ(Load(base_ + "archive: {islands: 0}\n").status().message(),
            Yaml() + ": archive.islands: must be >= 1 (got 0)");
  EXPECT_EQ(Load("name: p\nfiles: [nope.py]\nevaluator: {command: ./eval.sh}\n").status().message(),
            Yaml() + ": files[0]: 'nope.py' does not exist in " + dir_.string());
  EXPECT_EQ(Load("name: p\nfiles: [../x.py]\nevaluator: {command: ./eval.sh}\n").status().message(),
            Yaml() + ": files[0]: '../x.py' must be a relative path inside the problem directory");
  EXPECT_EQ(Load("name: p\nfiles: [prog.py]\n").status().message(),
            Yaml() + ": evaluator: is required (the command that scores a candidate)");
  EXPECT_EQ(Load(base_ + "objective: {direction: up}\n").status().message(),
            Yaml() + ": objective.direction: must be one of maximize, minimize (got 'up')");
  EXPECT_EQ(Load(base_ + "evaluator: {command: x}\n").status().message(),
            Yaml() + ": evaluator: appears twice (YAML would silently keep only one)");
  EXPECT_EQ(Load(base_ + "mutate: {operators: {teleport: 1}}\n").status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(ConfigTest, BuiltinEvaluatorsAreCheckedByName) {
  EXPECT_EQ(Load("name: p\nfiles: [prog.py]\nevaluator: {builtin: no_such_problem}\n")
                .status()
                .message()
                .rfind(Yaml() + ": evaluator.builtin: unknown built-in evaluator 'no_such_problem'", 0),
            0u);
  EXPECT_EQ(Load("name: p\nfiles: [prog.py]\nevaluator: {builtin: no_such_problem}\n")
                .status()
                .message(),
            Yaml() + ": evaluator.builtin: unknown built-in evaluator 'no_such_problem' (known: "
                     "bin_packing, eplb)");
  auto known = Load("name: p\nfiles: [prog.py]\nevaluator: {builtin: eplb}\n");
  ASSERT_TRUE(known.ok()) << known.status().ToString();
  EXPECT_EQ(known->builtin_evaluator, "eplb");
  // Without a list (a reader of a run checked when it started) the name is
  // taken as it is.
  options_.builtin_evaluators.reset();
  EXPECT_TRUE(Load("name: p\nfiles: [prog.py]\nevaluator: {builtin: no_such_problem}\n").ok());
  options_.builtin_evaluators.emplace();
  EXPECT_EQ(Load("name: p\nfiles: [prog.py]\nevaluator: {builtin: eplb}\n").status().message(),
            Yaml() + ": evaluator.builtin: unknown built-in evaluator 'eplb' (known: none)");
  EXPECT_EQ(Load("name: p\nfiles: [prog.py]\nevaluator: {builtin: x, command: y}\n").status().message(),
            Yaml() + ": evaluator: has both a command and a builtin evaluator; give one");
  EXPECT_EQ(Load("name: p\nfiles: [prog.py]\nevaluator: {timeout: 3}\n").status().message(),
            Yaml() + ": evaluator: needs a command (e.g. 'python3 evaluate.py') or a builtin evaluator");
}

TEST_F(ConfigTest, MalformedYamlNamesTheLine) {
  auto c = Load("name: p\nfiles: [prog.py\n");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message().rfind(Yaml() + ":", 0), 0u) << c.status().message();
  EXPECT_NE(c.status().message().find("malformed YAML"), std::string::npos);
}

TEST_F(ConfigTest, MissingDirectoryAndFile) {
  EXPECT_EQ(LoadProblemConfig((dir_ / "nope").string(), options_).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(LoadProblemConfig(dir_.string(), options_).status().code(), StatusCode::kNotFound);
}

TEST_F(ConfigTest, FrozenConfigRoundTrips) {
  auto c = Load("name: p\nfiles: [prog.py]\n"
                "evaluator: {command: [./eval.sh, --fast], timeout: 5, stages: "
                "[{name: quick, threshold: 0.5}, {name: full}]}\n"
                "features: [{name: speed, bins: 3}]\nbudget: {target: 9}\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const std::string frozen = ConfigToJson(*c);
  auto back = ConfigFromJson(frozen);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(ConfigToJson(*back), frozen);
  ASSERT_EQ(back->stages.size(), 2u);
  ASSERT_TRUE(back->stages[0].threshold.has_value());
  EXPECT_EQ(*back->stages[0].threshold, 0.5);
  EXPECT_EQ(back->sandbox.wall_timeout_seconds, 5);
  EXPECT_EQ(*back->budget.target, 9);
}

TEST_F(ConfigTest, InitialProgramChecksMarkers) {
  auto c = Load(base_);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(LoadInitialProgram(*c).ok());
  std::ofstream(dir_ / "prog.py") << "# EVOLVE-BLOCK-START\nx = 1\n";
  auto p = LoadInitialProgram(*c);
  EXPECT_EQ(p.status().message(),
            (dir_ / "prog.py").string() + ":1: EVOLVE-BLOCK-START is never closed by EVOLVE-BLOCK-END");
}

}  // namespace
}  // namespace crucible

namespace crucible {
namespace {

TEST_F(ConfigTest, LlmSectionIsReadValidatedAndFrozen) {
  auto c = Load(base_ +
                "proposer: llm\n"
                "llm:\n"
                "  base_url: http://127.0.0.1:8000/v1\n"
                "  models:\n"
                "    - {name: small, weight: 3, temperature: 0.2, price: {input: 0.1, output: 0.4}}\n"
                "    - {name: big, reasoning_effort: high, max_tokens: 9000}\n"
                "  modes: {diff: 0.5, rewrite: 0.5, crossover: 0}\n"
                "  adaptive: true\n"
                "  budget: {tokens: 5000, cost: 2.5}\n"
                "  novelty: {threshold: 0.9, judge: true, judge_model: big}\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->proposer, ProposerKind::kLlm);
  EXPECT_TRUE(c->llm.novelty_judge);
  EXPECT_EQ(c->llm.novelty_judge_model, "big");
  ASSERT_EQ(c->llm.models.size(), 2u);
  EXPECT_EQ(c->llm.models[0].weight, 3);
  EXPECT_EQ(*c->llm.models[0].price_output_per_m, 0.4);
  EXPECT_EQ(c->llm.models[1].reasoning_effort, ReasoningEffort::kHigh);
  EXPECT_EQ(*c->llm.max_tokens, 5000);
  EXPECT_TRUE(c->llm.adaptive);
  auto frozen = ConfigFromJson(ConfigToJson(*c));
  ASSERT_TRUE(frozen.ok()) << frozen.status().ToString();
  EXPECT_EQ(ConfigToJson(*frozen), ConfigToJson(*c));
  EXPECT_EQ(frozen->llm.models[1].max_tokens, 9000);
  EXPECT_TRUE(frozen->llm.novelty_judge);
  EXPECT_EQ(frozen->llm.novelty_judge_model, "big");
  // Off by default; a judge model must be one of the models.
  auto plain = Load(base_ + "llm: {base_url: http://127.0.0.1:8000/v1, models: [a]}\n");
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_FALSE(plain->llm.novelty_judge);
  EXPECT_EQ(Load(base_ + "llm: {base_url: http://127.0.0.1:8000/v1, models: [a], "
                         "novelty: {judge: true, judge_model: b}}\n").status().message(),
            Yaml() + ": llm.novelty.judge_model: 'b' is not the name of one of llm.models");
}

TEST_F(ConfigTest, LlmErrorsNameTheField) {
  EXPECT_EQ(Load(base_ + "llm: {base_url: ftp://x}\n").status().message(),
            Yaml() + ": llm.base_url: must start with http:// or https:// (got 'ftp://x')");
  EXPECT_EQ(Load(base_ + "llm: {models: [{name: a, temperature: 5}]}\n").status().message(),
            Yaml() + ": llm.models[0].temperature: must be <= 2 (got 5)");
  EXPECT_EQ(Load(base_ + "llm: {modle: x}\n").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Load(base_ + "proposer: gpt\n").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace crucible

namespace crucible {
namespace {

// testdata/frozen_before_enums.json is a frozen configuration as crucible
// wrote it into run.db before the closed sets became enums (session 3's
// config_json.cc): a resume of such a run reads it, and writes it back byte
// for byte.
// `now` without the object keys that `old` does not have (recursively).
nlohmann::json KeepKeysOf(const nlohmann::json& now, const nlohmann::json& old) {
  if (now.is_object() && old.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (auto it = now.begin(); it != now.end(); ++it) {
      if (old.contains(it.key())) out[it.key()] = KeepKeysOf(it.value(), old[it.key()]);
    }
    return out;
  }
  if (now.is_array() && old.is_array() && now.size() == old.size()) {
    nlohmann::json out = nlohmann::json::array();
    for (size_t k = 0; k < now.size(); ++k) out.push_back(KeepKeysOf(now[k], old[k]));
    return out;
  }
  return now;
}

TEST(FrozenConfigCompatibility, AnOldRunsFrozenConfigReadsAndWritesBackUnchanged) {
  std::ifstream in(std::string(CRUCIBLE_CONFIG_TESTDATA) + "/frozen_before_enums.json",
                   std::ios::binary);
  ASSERT_TRUE(in);
  const std::string old_text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto c = ConfigFromJson(old_text);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->proposer, ProposerKind::kLlm);
  EXPECT_EQ(c->executor, ExecutorKind::kSlurm);
  EXPECT_EQ(c->objective.direction, Direction::kMinimize);
  EXPECT_EQ(c->sandbox.network, NetworkIsolation::kRequired);
  EXPECT_EQ(c->sandbox.filesystem, FilesystemIsolation::kRequired);
  ASSERT_EQ(c->llm.models.size(), 2u);
  EXPECT_EQ(c->llm.models[0].reasoning_effort, ReasoningEffort::kNone);
  EXPECT_EQ(c->llm.models[1].reasoning_effort, ReasoningEffort::kHigh);
  EXPECT_EQ(c->slurm.partition, "gpu");
  // Byte for byte, but for keys added to the format since (issue #12 added
  // llm.models[].base_url/api_key_env, llm.stream, llm.scratchpad, ...):
  // those are dropped before comparing, so every key the old run wrote must
  // come back with the same value and the same text.
  nlohmann::json now = nlohmann::json::parse(ConfigToJson(*c));
  EXPECT_EQ(KeepKeysOf(now, nlohmann::json::parse(old_text)).dump(2), old_text);
}

}  // namespace
}  // namespace crucible

namespace crucible {
namespace {

TEST_F(ConfigTest, ClosedSetsAreEnumsWithOneSpelling) {
  for (ProposerKind k :
       {ProposerKind::kAuto, ProposerKind::kMutate, ProposerKind::kLlm, ProposerKind::kSearch}) {
    EXPECT_EQ(ParseProposerKind(ProposerKindName(k)), k);
  }
  for (ExecutorKind k : {ExecutorKind::kLocal, ExecutorKind::kSlurm}) {
    EXPECT_EQ(ParseExecutorKind(ExecutorKindName(k)), k);
  }
  EXPECT_EQ(ParseProposerKind("LLM"), std::nullopt);
  EXPECT_EQ(ParseExecutorKind(""), std::nullopt);
  EXPECT_EQ(Load(base_ + "proposer: gpt\n").status().message(),
            Yaml() + ": proposer: must be one of auto, mutate, llm, search (got 'gpt')");
  EXPECT_EQ(Load(base_ + "executor: cloud\n").status().message(),
            Yaml() + ": executor: must be one of local, slurm (got 'cloud')");
  EXPECT_EQ(Load("name: p\nfiles: [prog.py]\nevaluator: {command: ./eval.sh, isolation: some}\n")
                .status()
                .message(),
            Yaml() + ": evaluator.isolation: must be one of auto, required, off (got 'some')");
  EXPECT_EQ(Load(base_ + "llm: {models: [{name: a, reasoning_effort: max}]}\n").status().message(),
            Yaml() + ": llm.models[0].reasoning_effort: must be one of low, medium, high (got "
                     "'max')");
  auto c = Load("name: p\nfiles: [prog.py]\nevaluator: {command: ./eval.sh, isolation: off}\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->sandbox.network, NetworkIsolation::kOff);
  EXPECT_EQ(c->sandbox.filesystem, FilesystemIsolation::kOff);
  EXPECT_EQ(c->proposer, ProposerKind::kAuto);
  EXPECT_EQ(c->executor, ExecutorKind::kLocal);
}

}  // namespace
}  // namespace crucible
