// libFuzzer target: problem.yaml as crucible reads it (LoadProblemConfig,
// src/config/config.cc + problem_yaml.cc) and the frozen configuration in
// run.db (ConfigFromJson), on arbitrary bytes. Malformed input must be a
// Status naming the field, never a crash, hang or uncaught exception. A
// problem.yaml that loads must freeze and thaw to the same configuration: a
// run that starts from it must be able to resume.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "config/config.h"
#include "config_harness.h"

namespace {

namespace fs = std::filesystem;
using crucible::fuzz::LoadChecked;
using crucible::fuzz::ScratchDir;
using crucible::fuzz::WriteOrDie;

// A problem directory holding the files the repository's problems name, so
// that a mutated problem.yaml reaches the checks after the file checks.
const fs::path& ProblemDir() {
  static const fs::path* dir = [] {
    auto* d = new fs::path(ScratchDir() / "problem");
    WriteOrDie(*d / "initial.cpp",
               "// EVOLVE-BLOCK-START\nint f() { return 1; }\n// EVOLVE-BLOCK-END\n");
    WriteOrDie(*d / "program.py", "# EVOLVE-BLOCK-START\nx = 1\n# EVOLVE-BLOCK-END\n");
    WriteOrDie(*d / "evaluate.py", "print('{}')\n");
    WriteOrDie(*d / "prompt.md", "Make it faster.\n");
    return d;
  }();
  return *dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)LoadChecked([&] { return crucible::ConfigFromJson(text); }, text);

  WriteOrDie(ProblemDir() / "problem.yaml", text);
  auto config = LoadChecked([&] { return crucible::LoadProblemConfig(ProblemDir().string(), {}); }, text);
  if (!config.ok()) return 0;
  (void)crucible::LoadInitialProgram(*config);
  crucible::fuzz::CheckRefreezes(*config);
  return 0;
}
