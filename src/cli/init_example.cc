#include "cli/init_example.h"
#include "cli/init_example_files.h"
#include "core/file.h"

#include <fmt/format.h>

#include <filesystem>
#include <string>

namespace crucible {
namespace {

namespace fs = std::filesystem;
using namespace example;

// The example's file, through core's WriteFile; `executable` for scripts.
Status WriteExampleFile(const fs::path& path, const char* text, bool executable) {
  RETURN_IF_ERROR(WriteFile(path, text));
  if (executable) {
    std::error_code ec;
    fs::permissions(path, fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                    fs::perm_options::add, ec);
  }
  return Status::Ok();
}

Status CreateEmptyDir(const fs::path& d) {
  if (fs::exists(d) && !(fs::is_directory(d) && fs::is_empty(d))) {
    return AlreadyExistsError(fmt::format("{} already exists and is not empty", d.string()));
  }
  std::error_code ec;
  fs::create_directories(d, ec);
  if (ec) return InternalError(fmt::format("cannot create {}: {}", d.string(), ec.message()));
  return Status::Ok();
}

}  // namespace

Status WriteOpenEvolveExample(const std::string& dir) {
  const fs::path d = dir;
  RETURN_IF_ERROR(CreateEmptyDir(d));
  RETURN_IF_ERROR(WriteExampleFile(d / "initial_program.py", kOpenEvolveInitial, false));
  RETURN_IF_ERROR(WriteExampleFile(d / "evaluator.py", kOpenEvolveEvaluator, false));
  RETURN_IF_ERROR(WriteExampleFile(d / "config.yaml", kOpenEvolveConfig, false));
  return Status::Ok();
}

Status WriteExampleProblem(const std::string& dir) {
  const fs::path d = dir;
  RETURN_IF_ERROR(CreateEmptyDir(d));
  RETURN_IF_ERROR(WriteExampleFile(d / "problem.yaml", kProblemYaml, false));
  RETURN_IF_ERROR(WriteExampleFile(d / "program.py", kProgram, false));
  RETURN_IF_ERROR(WriteExampleFile(d / "evaluate.py", kEvaluator, true));
  RETURN_IF_ERROR(WriteExampleFile(d / "prompt.md", kPrompt, false));
  return Status::Ok();
}

}  // namespace crucible
