// libFuzzer target: an OpenEvolve task's config.yaml as crucible reads it
// (LoadAnyTask -> LoadOpenEvolveTask, src/config/openevolve_task.cc), on
// arbitrary bytes. Malformed input must be a Status naming the file, never a
// crash, hang or uncaught exception. A config.yaml that loads must freeze
// and thaw to the same configuration: a run that starts from it must be able
// to resume.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "config/config.h"
#include "config/yaml_reader.h"
#include "config/openevolve_task.h"
#include "scratch_dir.h"

namespace {

namespace fs = std::filesystem;
using crucible::fuzz::ScratchDir;
using crucible::fuzz::WriteOrDie;

// An OpenEvolve task directory whose evaluator defines all three cascade
// stages, so every cascade_thresholds length reaches the stage mapping.
const fs::path& TaskDir() {
  static const fs::path* dir = [] {
    auto* d = new fs::path(ScratchDir() / "task");
    WriteOrDie(*d / "initial_program.py", "# EVOLVE-BLOCK-START\nx = 1\n# EVOLVE-BLOCK-END\n");
    WriteOrDie(*d / "evaluator.py",
               "def evaluate(p):\n    return {'score': 1}\n"
               "def evaluate_stage1(p):\n    return {'score': 1}\n"
               "def evaluate_stage2(p):\n    return {'score': 1}\n"
               "def evaluate_stage3(p):\n    return {'score': 1}\n");
    return d;
  }();
  return *dir;
}

void Die(const char* what, const std::string& detail) {
  std::fprintf(stderr, "openevolve_config_fuzz: %s\n%s\n", what, detail.c_str());
  std::abort();
}

// An error must say what is wrong, and must not be the safety net's (a
// yaml-cpp exception the schema walk let through: a missing type check).
void Check(const crucible::Status& status, const std::string& input) {
  if (status.message().empty()) Die("an error without a message", input);
  if (status.message().find(crucible::kUnexpectedYamlNote) != std::string::npos) {
    Die("a yaml-cpp exception reached the safety net", status.ToString() + "\n" + input);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  WriteOrDie(TaskDir() / "config.yaml", text);
  auto task = crucible::LoadAnyTask(TaskDir().string(), {});
  if (!task.ok()) {
    Check(task.status(), text);
    return 0;
  }
  (void)crucible::DescribeUnusedKeys(*task);
  (void)crucible::LoadInitialProgram(task->config);
  const std::string frozen = crucible::ConfigToJson(task->config);
  auto thawed = crucible::ConfigFromJson(frozen);
  if (!thawed.ok()) {
    Die("a loaded config.yaml does not thaw", thawed.status().ToString() + "\n" + frozen);
  }
  if (crucible::ConfigToJson(*thawed) != frozen) {
    Die("a loaded config.yaml re-freezes differently",
        frozen + "\n---\n" + crucible::ConfigToJson(*thawed));
  }
  return 0;
}
