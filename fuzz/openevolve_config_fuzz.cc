// libFuzzer target: an OpenEvolve task's config.yaml as crucible reads it
// (LoadAnyTask -> LoadOpenEvolveTask, src/config/openevolve_task.cc), on
// arbitrary bytes. Malformed input must be a Status naming the file, never a
// crash, hang or uncaught exception. A config.yaml that loads must freeze
// and thaw to the same configuration: a run that starts from it must be able
// to resume.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "config/config.h"
#include "config/openevolve_task.h"
#include "config_harness.h"

namespace {

namespace fs = std::filesystem;
using crucible::fuzz::LoadChecked;
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  WriteOrDie(TaskDir() / "config.yaml", text);
  auto task = LoadChecked([&] { return crucible::LoadAnyTask(TaskDir().string(), {}); }, text);
  if (!task.ok()) return 0;
  (void)crucible::DescribeUnusedKeys(*task);
  (void)crucible::LoadInitialProgram(task->config);
  crucible::fuzz::CheckRefreezes(task->config);
  return 0;
}
