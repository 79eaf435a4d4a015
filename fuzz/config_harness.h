// What the configuration fuzzers (config_fuzz, openevolve_config_fuzz) share:
// a directory of their own for the files a loader reads (the loaders take a
// directory, not bytes), and the checks on what a loader returns. The
// directory is created once per process under $TMPDIR and removed when the
// process exits normally; a crash leaves it behind, beside libFuzzer's
// reproducer.
#ifndef CRUCIBLE_FUZZ_CONFIG_HARNESS_H_
#define CRUCIBLE_FUZZ_CONFIG_HARNESS_H_

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "config/config.h"
#include "config/yaml_reader.h"
#include "core/status.h"

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

[[noreturn]] inline void Die(std::string_view what, std::string_view detail) {
  std::fprintf(stderr, "fuzz: %.*s\n%.*s\n", static_cast<int>(what.size()), what.data(),
               static_cast<int>(detail.size()), detail.data());
  std::abort();
}

// Writes `text` to `path`, aborting on failure (the harness's fault, not
// the code under test's).
inline void WriteOrDie(const std::filesystem::path& path, std::string_view text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out) Die("cannot write a scratch file", path.string());
}

// Calls `load` (which returns a StatusOr) and checks its error: it must say
// what is wrong, and must not come from the safety net (a yaml-cpp exception
// the schema walk let through: a missing type check). The safety net is
// detected by its counter, not by its note in the message, which the input
// can contain.
template <typename Load>
auto LoadChecked(Load load, std::string_view input) {
  const std::uint64_t before = UnexpectedYamlErrorCount();
  auto loaded = load();
  if (UnexpectedYamlErrorCount() != before) {
    Die("a yaml-cpp exception reached the safety net",
        (loaded.ok() ? std::string("(the load succeeded)") : loaded.status().ToString()) + "\n" +
            std::string(input));
  }
  if (!loaded.ok() && loaded.status().message().empty()) Die("an error without a message", input);
  return loaded;
}

// A configuration that loaded must freeze and thaw to the same JSON: a run
// that starts from it must be able to resume.
inline void CheckRefreezes(const RunConfig& config) {
  const std::string frozen = ConfigToJson(config);
  auto thawed = ConfigFromJson(frozen);
  if (!thawed.ok()) Die("a loaded configuration does not thaw", thawed.status().ToString() + "\n" + frozen);
  const std::string again = ConfigToJson(*thawed);
  if (again != frozen) Die("a loaded configuration re-freezes differently", frozen + "\n---\n" + again);
}

}  // namespace crucible::fuzz

#endif  // CRUCIBLE_FUZZ_CONFIG_HARNESS_H_
