#include "evaluate/python_support.h"

#include <fmt/format.h>

#include <filesystem>

#include "core/file.h"
#include "evaluate/python_support_files.h"
#include "evaluate/python_support_so.h"

namespace crucible {
namespace {

namespace fs = std::filesystem;

std::string Join(const std::vector<double>& values) {
  std::string out;
  for (double v : values) out += (out.empty() ? "" : ",") + fmt::format("{}", v);
  return out;
}

}  // namespace

Status InstallPythonSupport(const std::string& dir) {
  for (const python_support::EmbeddedFile& f : python_support::kFiles) {
    const fs::path path = fs::path(dir) / f.path;
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    if (ec) return InternalError(fmt::format("cannot create {}: {}", path.parent_path().string(), ec.message()));
    RETURN_IF_ERROR(WriteFileAtomic(path, f.content));
  }
  if (const std::string_view so = python_support::WarmForkModule(); !so.empty()) {
    RETURN_IF_ERROR(WriteFileAtomic(fs::path(dir) / python_support::kWarmForkModulePath, so));
  }
  return Status::Ok();
}

std::vector<std::string> PythonEvaluatorCommand(const std::string& python_root,
                                                const PythonEvaluator& evaluator,
                                                const std::string& program,
                                                const std::vector<std::string>& features,
                                                PythonRunner runner) {
  const char* script = runner == PythonRunner::kWarm ? "worker.py" : "adapter.py";
  std::vector<std::string> cmd = {"python3", (fs::path(python_root) / "crucible" / script).string(),
                                  std::string(PythonEvaluatorFormatName(evaluator.format)),
                                  evaluator.file, program};
  if (evaluator.cascade && !evaluator.cascade->empty()) {
    cmd.insert(cmd.end(), {"--cascade", Join(*evaluator.cascade)});
  }
  std::string names;
  for (const std::string& f : features) {
    if (f != "code_length") names += (names.empty() ? "" : ",") + f;
  }
  if (!names.empty()) cmd.insert(cmd.end(), {"--features", names});
  return cmd;
}

}  // namespace crucible
