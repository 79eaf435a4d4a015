#include "config/config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "config/problem_yaml.h"
#include "config/yaml_reader.h"
#include "core/file.h"
#include "core/regions.h"

namespace crucible {
namespace {

namespace fs = std::filesystem;

// Paths must stay inside the problem directory.
bool IsInside(const std::string& rel) {
  const fs::path p = fs::path(rel).lexically_normal();
  return !rel.empty() && p.is_relative() && !p.empty() && *p.begin() != "..";
}

Status CheckFiles(const RunConfig& c, const std::string& yaml_path) {
  for (size_t i = 0; i < c.files.size(); ++i) {
    const std::string& f = c.files[i];
    if (!IsInside(f)) {
      return InvalidArgumentError(fmt::format(
          "{}: files[{}]: '{}' must be a relative path inside the problem directory", yaml_path, i, f));
    }
    if (!fs::is_regular_file(fs::path(c.problem_dir) / f)) {
      return InvalidArgumentError(fmt::format("{}: files[{}]: '{}' does not exist in {}", yaml_path,
                                              i, f, c.problem_dir));
    }
  }
  if (!c.prompt_file.empty() && !fs::is_regular_file(fs::path(c.problem_dir) / c.prompt_file)) {
    return InvalidArgumentError(fmt::format("{}: prompt: '{}' does not exist in {}", yaml_path,
                                            c.prompt_file, c.problem_dir));
  }
  if (c.python_evaluator && !fs::is_regular_file(c.python_evaluator->file)) {
    return InvalidArgumentError(fmt::format("{}: evaluator.python: '{}' does not exist", yaml_path,
                                            c.python_evaluator->file));
  }
  if (c.evaluator_command.empty()) return Status::Ok();
  const fs::path cmd = c.evaluator_command[0];
  if (cmd.is_relative() && cmd.has_parent_path() && !fs::exists(fs::path(c.problem_dir) / cmd)) {
    return InvalidArgumentError(fmt::format("{}: evaluator.command: '{}' does not exist in {}",
                                            yaml_path, cmd.string(), c.problem_dir));
  }
  return Status::Ok();
}

// evaluator.builtin must name a harness the caller knows (problems/registry.h,
// which this component does not link).
void CheckBuiltinEvaluator(const RunConfig& c, const ConfigReadOptions& options, YamlReader& r) {
  if (!r.status().ok() || c.builtin_evaluator.empty() || !options.builtin_evaluators) return;
  const std::vector<std::string>& known = *options.builtin_evaluators;
  if (std::find(known.begin(), known.end(), c.builtin_evaluator) != known.end()) return;
  r.Fail("evaluator.builtin",
         fmt::format("unknown built-in evaluator '{}' (known: {})", c.builtin_evaluator,
                     known.empty() ? "none" : fmt::format("{}", fmt::join(known, ", "))));
}

// problem.yaml's schema (also the frozen form's), whatever file it came from.
StatusOr<RunConfig> ParseConfig(const YAML::Node& root, const std::string& source, const std::string& problem_dir,
                                const ConfigReadOptions& options) {
  RunConfig c;
  c.problem_dir = problem_dir;
  YamlReader r(source);
  try {
    ParseProblemYaml(root, r, c);
  } catch (const YAML::Exception& e) {
    return UnexpectedYamlError(source, e);
  }
  CheckBuiltinEvaluator(c, options, r);
  RETURN_IF_ERROR(r.status());
  if (c.prompt_file.empty() && fs::is_regular_file(fs::path(problem_dir) / "prompt.md")) {
    c.prompt_file = "prompt.md";
  }
  RETURN_IF_ERROR(ValidateConfig(c, source));
  return c;
}

}  // namespace

Status ValidateConfig(const RunConfig& c, const std::string& source) {
  if (Status s = c.archive.Validate(); !s.ok()) return s.WithContext(source);
  if (Status s = c.mutate.Validate(); !s.ok()) return s.WithContext(source);
  if (Status s = c.llm.Validate(); !s.ok()) return s.WithContext(source);
  if (Status s = c.sandbox.Validate(); !s.ok()) return s.WithContext(source);
  if (Status s = c.slurm.Validate(); !s.ok()) return s.WithContext(source);
  return Status::Ok();
}

StatusOr<RunConfig> ParseFrozenConfig(const YAML::Node& root, const ConfigReadOptions& options) {
  std::string dir;
  YamlReader r("frozen configuration");
  r.Read(root, "problem_dir", "", dir);
  RETURN_IF_ERROR(r.status());
  if (dir.empty()) return DataLossError("the frozen configuration has no problem_dir");
  // The frozen form has problem.yaml's schema, whatever file the run came from.
  return ParseConfig(root, "frozen configuration", dir, options);
}

StatusOr<RunConfig> LoadProblemConfig(const std::string& problem_dir,
                                      const ConfigReadOptions& options) {
  std::error_code ec;
  const fs::path dir = fs::absolute(problem_dir, ec).lexically_normal();
  if (!fs::is_directory(dir)) {
    return NotFoundError(fmt::format("problem directory '{}' does not exist", problem_dir));
  }
  // A FIFO or directory named problem.yaml is refused below, not taken for
  // a missing file.
  const fs::path path = dir / "problem.yaml";
  const fs::file_status st = fs::status(path, ec);
  if (st.type() == fs::file_type::not_found) {
    return NotFoundError(fmt::format("{} not found (a problem directory needs a problem.yaml; "
                                     "`crucible init DIR` writes an example)",
                                     path.string()));
  }
  if (ec) return InvalidArgumentError(fmt::format("cannot read {}: {}", path.string(), ec.message()));
  if (st.type() != fs::file_type::regular) {
    return InvalidArgumentError(fmt::format("{} is not a regular file ({})", path.string(),
                                            st.type() == fs::file_type::directory ? "a directory"
                                            : st.type() == fs::file_type::fifo    ? "a FIFO"
                                                                                  : "a special file"));
  }
  // Bounded: a problem.yaml is a few KB; a huge one is a mistake or an attack.
  constexpr std::uintmax_t kMaxYamlBytes = 1 << 20;
  if (fs::file_size(path, ec) > kMaxYamlBytes || ec) {
    return InvalidArgumentError(
        fmt::format("{} is larger than {} bytes", path.string(), kMaxYamlBytes));
  }
  YAML::Node root;
  try {
    root = YAML::LoadFile(path.string());
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError(
        fmt::format("{}:{}: malformed YAML: {}", path.string(), e.mark.line + 1, e.msg));
  }
  std::string dir_str = dir.string();
  if (dir_str.size() > 1 && dir_str.back() == '/') dir_str.pop_back();
  if (!IsJsonString(dir_str)) {
    return InvalidArgumentError(fmt::format(
        "problem directory '{}': the path is not valid UTF-8 (run.db stores it as JSON)", dir_str));
  }
  ASSIGN_OR_RETURN(RunConfig c, ParseConfig(root, path.string(), dir_str, options));
  RETURN_IF_ERROR(CheckFiles(c, path.string()));
  return c;
}

StatusOr<Program> LoadInitialProgram(const RunConfig& config) {
  Program p;
  for (const std::string& f : config.files) {
    const fs::path path = fs::path(config.problem_dir) / f;
    // Bounded: a FIFO or /dev/zero named in `files:` must not be read forever.
    StatusOr<std::string> read = ReadFile(path, config.max_program_bytes);
    if (read.status().code() == StatusCode::kResourceExhausted) {
      return InvalidArgumentError(fmt::format("{} is over limits.max_program_kb ({} bytes)",
                                              path.string(), config.max_program_bytes));
    }
    ASSIGN_OR_RETURN(std::string text, std::move(read));
    RETURN_IF_ERROR(ParseRegions(text, path.string()).status());
    p.files.push_back({f, std::move(text)});
  }
  // A problem with parameters: the candidate's values, the defaults first.
  if (!config.search.parameters.empty()) {
    const ParameterSpace& space = config.search.parameters;
    p.files.push_back({std::string(kParametersFile), space.ValuesToJson(space.Defaults())});
  }
  if (p.SizeBytes() > config.max_program_bytes) {
    return InvalidArgumentError(fmt::format(
        "the initial program is {} bytes, over limits.max_program_kb ({} bytes)", p.SizeBytes(),
        config.max_program_bytes));
  }
  return p;
}

}  // namespace crucible
