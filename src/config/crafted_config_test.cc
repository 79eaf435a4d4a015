// Crafted problem.yaml, config.yaml and frozen configurations (issue #15):
// each gets an InvalidArgument naming the file and the field, never a crash,
// an uncaught exception or a silently wrapped value. The inputs are the
// shapes fuzz/config_fuzz and fuzz/openevolve_config_fuzz found, reduced.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/openevolve_task.h"
#include "config/yaml_reader.h"

namespace crucible {
namespace {

namespace fs = std::filesystem;

class CraftedConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/crucible-craftedtest-XXXXXX";
    dir_ = mkdtemp(tmpl);
    std::ofstream(dir_ / "prog.py") << "# EVOLVE-BLOCK-START\nx = 1\n# EVOLVE-BLOCK-END\n";
    std::ofstream(dir_ / "eval.sh") << "#!/bin/sh\n";
    std::ofstream(dir_ / "initial_program.py") << "x = 1\n";
    std::ofstream(dir_ / "evaluator.py") << "def evaluate(p):\n    return {}\n";
  }
  void TearDown() override { fs::remove_all(dir_); }

  StatusOr<RunConfig> LoadProblem(const std::string& yaml) {
    std::ofstream(dir_ / "problem.yaml", std::ios::binary | std::ios::trunc) << yaml;
    return LoadProblemConfig(dir_.string(), {});
  }
  StatusOr<ForeignTask> LoadOpenEvolve(const std::string& yaml) {
    std::ofstream(dir_ / "config.yaml", std::ios::binary | std::ios::trunc) << yaml;
    return LoadOpenEvolveTask(dir_.string(), {});
  }

  fs::path dir_;
  const std::string base_ = "name: p\nfiles: [prog.py]\nevaluator: {command: ./eval.sh}\n";
};

// The error a user should see: InvalidArgument naming `file` and `field`,
// from the schema's own checks (not the safety net for a yaml-cpp exception,
// which would mean a check is missing).
template <typename T>
void ExpectFieldError(const StatusOr<T>& got, const std::string& file, const std::string& field) {
  ASSERT_FALSE(got.ok()) << "accepted; expected an error naming " << field;
  EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument) << got.status().ToString();
  const std::string& m = got.status().message();
  EXPECT_NE(m.find(file), std::string::npos) << m;
  EXPECT_NE(m.find(field), std::string::npos) << m;
  EXPECT_EQ(m.find(kUnexpectedYamlNote), std::string::npos) << m;
}

// Before: yaml-cpp threw BadSubscript (std::terminate in crucible) when a
// section the schema subscripts was a scalar.
TEST_F(CraftedConfigTest, ASectionThatIsNotAMappingNamesTheSection) {
  const std::string yaml = (dir_ / "problem.yaml").string();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"name: p\nfiles: [prog.py]\nevaluator: 5\n", "evaluator"},
      {base_ + "budget: 3\n", "budget"},
      {base_ + "archive: x\n", "archive"},
      {base_ + "mutate: [1, 2]\n", "mutate"},
      {base_ + "slurm: s\n", "slurm"},
      {base_ + "llm: 7\n", "llm"},
      {base_ + "llm: {budget: 5}\n", "llm.budget"},
      {base_ + "llm: {models: [{name: m, price: 1}]}\n", "llm.models[0].price"},
      {base_ + "archive: {selection: 2}\n", "archive.selection"},
      {base_ + "archive: {inspirations: [1]}\n", "archive.inspirations"},
      {"name: p\nfiles: [prog.py]\nevaluator: {command: ./eval.sh, stages: [5]}\n",
       "evaluator.stages[0]"},
  };
  for (const auto& [text, field] : cases) {
    SCOPED_TRACE(text);
    ExpectFieldError(LoadProblem(text), yaml, field);
  }
}

// Before: as<std::string>() on a list used as a key threw TypedBadConversion.
TEST_F(CraftedConfigTest, AParameterNamedByAListIsRefused) {
  ExpectFieldError(LoadProblem("name: p\nevaluator: {command: ./eval.sh}\n"
                               "parameters: {[a, b]: {type: float, low: 0, high: 1}}\n"),
                   (dir_ / "problem.yaml").string(), "parameters");
}

// Before: the configuration loaded, and freezing it into run.db threw
// nlohmann's type_error 316 (std::terminate) at the start of the run.
TEST_F(CraftedConfigTest, TextThatIsNotUtf8IsRefusedNamingTheField) {
  const std::string yaml = (dir_ / "problem.yaml").string();
  ExpectFieldError(LoadProblem(base_ + "description: \"caf\xe9\"\n"), yaml, "description");
  ExpectFieldError(LoadProblem("name: \"\xff\"\nfiles: [prog.py]\nevaluator: {command: ./eval.sh}\n"),
                   yaml, "name");
  ExpectFieldError(LoadProblem("name: p\nfiles: [prog.py, \"\xc3\"]\nevaluator: {command: ./eval.sh}\n"),
                   yaml, "files[1]");
  ExpectFieldError(LoadProblem("name: p\nfiles: \"prog.py \xc3\"\nevaluator: {command: ./eval.sh}\n"),
                   yaml, "files");
  ExpectFieldError(LoadProblem(base_ + "llm: {models: [\"m\xf5\"]}\n"), yaml, "llm.models[0]");
  ExpectFieldError(LoadProblem(base_ + "slurm: {sbatch_lines: [\"--x=\xf5\"]}\n"), yaml,
                   "slurm.sbatch_lines[0]");
  const std::string config = (dir_ / "config.yaml").string();
  ExpectFieldError(LoadOpenEvolve("prompt: {system_message: \"\xfe\"}\n"), config,
                   "prompt.system_message");
  // UTF-8 itself is kept and freezes.
  auto ok = LoadProblem(base_ + "description: \"caf\xc3\xa9 \xcf\x80\"\n");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  auto back = ConfigFromJson(ConfigToJson(*ok));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->description, "caf\xc3\xa9 \xcf\x80");
}

TEST_F(CraftedConfigTest, AProblemDirectoryWhosePathIsNotUtf8IsRefused) {
  const fs::path odd = dir_ / "caf\xe9";
  fs::create_directories(odd);
  std::ofstream(odd / "prog.py") << "x = 1\n";
  std::ofstream(odd / "problem.yaml") << base_;
  auto c = LoadProblemConfig(odd.string(), {});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("not valid UTF-8"), std::string::npos) << c.status().message();
  std::ofstream(odd / "initial_program.py") << "x = 1\n";
  std::ofstream(odd / "evaluator.py") << "def evaluate(p):\n    return {}\n";
  fs::remove(odd / "problem.yaml");
  auto t = LoadAnyTask(odd.string(), {});
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("not valid UTF-8"), std::string::npos) << t.status().message();
}

// Before: an int field without bounds wrapped (-4294967295 islands became 1),
// and memory_limit_mb 1e300 was converted to bytes with undefined behaviour.
TEST_F(CraftedConfigTest, OutOfRangeNumbersInConfigYamlNameTheField) {
  const std::string config = (dir_ / "config.yaml").string();
  ExpectFieldError(LoadOpenEvolve("database: {num_islands: -4294967295}\n"), config,
                   "database.num_islands");
  ExpectFieldError(LoadOpenEvolve("prompt: {num_top_programs: 4294967296}\n"), config,
                   "prompt.num_top_programs");
  ExpectFieldError(LoadOpenEvolve("evaluator: {memory_limit_mb: 1e300}\n"), config,
                   "evaluator.memory_limit_mb");
  ExpectFieldError(LoadOpenEvolve("evaluator: {memory_limit_mb: -5}\n"), config,
                   "evaluator.memory_limit_mb");
  auto ok = LoadOpenEvolve("evaluator: {memory_limit_mb: 512}\n");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->config.sandbox.memory_bytes, 512ull << 20);
}

// Before: the task loaded, and its frozen configuration was refused on
// --resume ("llm.models[0].name: is required"). Every configuration that
// loads must thaw again (the fuzzers check the same on every input).
TEST_F(CraftedConfigTest, ANamelessModelInConfigYamlIsRefused) {
  ExpectFieldError(LoadOpenEvolve("llm:\n  models:\n    - {weight: 1}\n"),
                   (dir_ / "config.yaml").string(), "llm.models[0].name");
  ExpectFieldError(LoadOpenEvolve("llm:\n  models:\n    - 5\n"), (dir_ / "config.yaml").string(),
                   "llm.models[0]");
  auto ok = LoadOpenEvolve("llm:\n  models:\n    - {name: m, weight: 1}\n");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  auto back = ConfigFromJson(ConfigToJson(ok->config));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->llm.models.size(), 1u);
}

// Before: OpenEvolve's max_code_length of 400 characters became a limit of
// 0.39 KB, which the task accepted and the frozen configuration refused
// (limits.max_program_kb must be >= 1), so the run could not resume. Found by
// fuzz/openevolve_config_fuzz in CI. Both now take any limit of a byte or more.
TEST_F(CraftedConfigTest, ASmallMaxCodeLengthFreezesAndThaws) {
  auto ok = LoadOpenEvolve("max_code_length: 400\n");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->config.max_program_bytes, 400u);
  auto back = ConfigFromJson(ConfigToJson(ok->config));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->max_program_bytes, 400u);
  auto half = LoadProblem(base_ + "limits: {max_program_kb: 0.5}\n");
  ASSERT_TRUE(half.ok()) << half.status().ToString();
  EXPECT_EQ(half->max_program_bytes, 512u);
  ExpectFieldError(LoadProblem(base_ + "limits: {max_program_kb: 0.0001}\n"),
                   (dir_ / "problem.yaml").string(), "limits.max_program_kb");
  ExpectFieldError(LoadProblem(base_ + "limits: {max_program_kb: 1e300}\n"),
                   (dir_ / "problem.yaml").string(), "limits.max_program_kb");
  ExpectFieldError(LoadOpenEvolve("max_code_length: 9223372036854775807\n"),
                   (dir_ / "config.yaml").string(), "max_code_length");
}

// Before: OpenEvolve's llm.temperature of 5.7 loaded (OpenEvolve takes any
// number) and the frozen configuration refused it on --resume. Found by
// fuzz/openevolve_config_fuzz. Now refused at start, under crucible's name.
TEST_F(CraftedConfigTest, AMappedValueCrucibleCannotTakeIsRefusedAtStart) {
  ExpectFieldError(LoadOpenEvolve("llm:\n  primary_model: m\n  temperature: 5.7\n"),
                   (dir_ / "config.yaml").string(), "temperature");
}

// The frozen configuration in run.db is read with the same schema: a crafted
// one is refused naming the field, never a crash.
TEST_F(CraftedConfigTest, ACraftedFrozenConfigurationIsRefused) {
  for (const std::string& text :
       {std::string(R"({"problem_dir": "/p", "name": "p", "files": ["a"], "evaluator": 5})"),
        std::string(R"({"problem_dir": "/p", "name": "p", "files": ["a"], "evaluator": {"command": "x"}, "budget": 1})"),
        std::string(R"({"problem_dir": "/p", "name": "p", "files": ["a"], "evaluator": {"command": "x"}, "llm": [1]})"),
        std::string("{\"problem_dir\": \"/p\", \"name\": \"\xff\"}"), std::string("[1, 2"),
        std::string(5000, '[')}) {
    SCOPED_TRACE(text.substr(0, 120));
    auto c = ConfigFromJson(text);
    ASSERT_FALSE(c.ok());
    EXPECT_FALSE(c.status().message().empty());
    EXPECT_EQ(c.status().message().find(kUnexpectedYamlNote), std::string::npos)
        << c.status().message();
  }
}

}  // namespace
}  // namespace crucible
