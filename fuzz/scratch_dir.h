// A directory of the fuzzer's own for the files a loader reads (the
// configuration loaders take a directory, not bytes): created once per
// process under $TMPDIR, removed when the process exits normally. A crash
// leaves it behind, beside libFuzzer's reproducer.
#ifndef CRUCIBLE_FUZZ_SCRATCH_DIR_H_
#define CRUCIBLE_FUZZ_SCRATCH_DIR_H_

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace crucible::fuzz {

inline const std::filesystem::path& ScratchDir() {
  static const std::filesystem::path* dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/crucible-fuzz-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      std::perror("mkdtemp");
      std::abort();
    }
    auto* p = new std::filesystem::path(pattern);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(ScratchDir(), ec);
    });
    return p;
  }();
  return *dir;
}

// Writes `text` to `path`, aborting on failure (the harness's fault, not
// the code under test's).
inline void WriteOrDie(const std::filesystem::path& path, std::string_view text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    std::abort();
  }
}

}  // namespace crucible::fuzz

#endif  // CRUCIBLE_FUZZ_SCRATCH_DIR_H_
