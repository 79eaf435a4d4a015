// dashboard_synthetic_run DIR N [--islands K] [--llm] [--pending P] [--seed S]
// dashboard_synthetic_run DIR --append N [--seed S]
// Writes a synthetic run directory (synthetic_run.h) for the dashboard's
// tests and benchmark.
#include <fmt/format.h>

#include <cstdlib>
#include <string>

#include "dashboard/synthetic_run.h"

int main(int argc, char** argv) {
  using namespace crucible;
  if (argc < 3) {
    fmt::print(stderr, "usage: {} DIR N [--islands K] [--llm] [--pending P] [--seed S]\n"
                       "       {} DIR --append N [--seed S]\n", argv[0], argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  SyntheticRunOptions o;
  int64_t append = -1;
  int i = 2;
  if (std::string(argv[2]) == "--append" && argc > 3) {
    append = std::atoll(argv[3]);
    i = 4;
  } else {
    o.candidates = std::atoll(argv[2]);
    i = 3;
  }
  for (; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--llm") o.llm_calls = true;
    else if (a == "--islands" && i + 1 < argc) o.islands = std::atoi(argv[++i]);
    else if (a == "--pending" && i + 1 < argc) o.pending = std::atoll(argv[++i]);
    else if (a == "--seed" && i + 1 < argc) o.seed = std::strtoull(argv[++i], nullptr, 10);
    else {
      fmt::print(stderr, "unknown argument {}\n", a);
      return 2;
    }
  }
  const Status s = append >= 0 ? AppendSyntheticCandidates(dir, append, o.seed) : WriteSyntheticRun(dir, o);
  if (!s.ok()) {
    fmt::print(stderr, "error: {}\n", s.message());
    return 1;
  }
  return 0;
}
