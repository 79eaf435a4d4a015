#include "engine/evaluator_fingerprint.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "core/file.h"
#include "core/hash.h"

namespace crucible {

namespace fs = std::filesystem;

// What defines the scores of a run besides the candidate: every file of the
// problem directory (evaluator, data, problem.yaml) except the evolved files,
// hidden entries and run directories, as {relative path: hash}. Frozen into
// the run at its start; a resume compares it and says what changed.
// Bounded, because the directory comes from run.db on a resume and may be
// anything ("/" in a crafted file): it stays on the directory's own
// filesystem (no /proc, whose kmsg blocks a reader forever), three levels
// deep, and hashes at most kMaxFingerprintFiles files and
// kMaxFingerprintBytes bytes; what is left is counted under "...".
nlohmann::json EvaluatorFingerprint(const RunConfig& config) {
  constexpr uintmax_t kMaxHashedBytes = 64ull << 20;  // larger: size + mtime
  constexpr size_t kMaxFingerprintFiles = 10000;
  constexpr uintmax_t kMaxFingerprintBytes = 1ull << 30;
  nlohmann::json files = nlohmann::json::object();
  const fs::path root = config.problem_dir;
  struct stat root_st;
  if (::stat(root.c_str(), &root_st) != 0) return files;
  uintmax_t hashed_bytes = 0;
  size_t left_out = 0;
  std::error_code ec;
  auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code e;
    const fs::path rel = fs::relative(it->path(), root, e);
    const std::string name = it->path().filename().string();
    struct stat st;
    if (::stat(it->path().c_str(), &st) != 0 || st.st_dev != root_st.st_dev) {
      if (it->is_directory(e)) it.disable_recursion_pending();
      continue;
    }
    if (it->is_directory(e)) {
      if (name.front() == '.' || name == "runs" || fs::exists(it->path() / "run.db", e) ||
          it.depth() >= 3) {
        it.disable_recursion_pending();
      }
      continue;
    }
    if (!S_ISREG(st.st_mode) || name.front() == '.') continue;
    if (std::find(config.files.begin(), config.files.end(), rel.string()) != config.files.end()) {
      continue;
    }
    const uintmax_t size = static_cast<uintmax_t>(st.st_size);
    if (files.size() >= kMaxFingerprintFiles || hashed_bytes >= kMaxFingerprintBytes) {
      ++left_out;
      continue;
    }
    std::string digest;
    if (size <= kMaxHashedBytes) {
      digest = HashToHex(HashBytes(ReadFile(it->path(), kMaxHashedBytes).value_or("")));
      hashed_bytes += size;
    } else {
      digest = fmt::format("size:{}", size);
    }
    files[rel.string()] = digest;
  }
  if (left_out > 0) files["..."] = fmt::format("{} more files", left_out);
  return files;
}

// The files whose fingerprint differs between `before` and `now`.
std::vector<std::string> ChangedFiles(const nlohmann::json& before, const nlohmann::json& now) {
  std::vector<std::string> changed;
  for (const auto& [name, hash] : before.items()) {
    if (!now.contains(name)) {
      changed.push_back(name + " (removed)");
    } else if (now[name] != hash) {
      changed.push_back(name);
    }
  }
  for (const auto& [name, hash] : now.items()) {
    if (!before.contains(name)) changed.push_back(name + " (new)");
  }
  return changed;
}

}  // namespace crucible
