// libFuzzer target: problem.yaml as crucible reads it (LoadProblemConfig,
// src/config/config.cc + problem_yaml.cc) and the frozen configuration in
// run.db (ConfigFromJson), on arbitrary bytes. Malformed input must be a
// Status naming the field, never a crash, hang or uncaught exception. A
// problem.yaml that loads must freeze and thaw to the same configuration: a
// run that starts from it must be able to resume.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "config/config.h"
#include "config/yaml_reader.h"
#include "scratch_dir.h"

namespace {

namespace fs = std::filesystem;
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

void Die(const char* what, const std::string& detail) {
  std::fprintf(stderr, "config_fuzz: %s\n%s\n", what, detail.c_str());
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
  if (auto frozen = crucible::ConfigFromJson(text); !frozen.ok()) Check(frozen.status(), text);

  WriteOrDie(ProblemDir() / "problem.yaml", text);
  auto config = crucible::LoadProblemConfig(ProblemDir().string(), {});
  if (!config.ok()) {
    Check(config.status(), text);
    return 0;
  }
  (void)crucible::LoadInitialProgram(*config);
  const std::string frozen = crucible::ConfigToJson(*config);
  auto thawed = crucible::ConfigFromJson(frozen);
  if (!thawed.ok()) Die("a loaded problem.yaml does not thaw", thawed.status().ToString() + "\n" + frozen);
  if (crucible::ConfigToJson(*thawed) != frozen) {
    Die("a loaded problem.yaml re-freezes differently", frozen + "\n---\n" + crucible::ConfigToJson(*thawed));
  }
  return 0;
}
