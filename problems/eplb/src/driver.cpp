// The trusted eplb driver. Not part of crucible's build: its text is embedded
// in crucible and compiled with each candidate (see harness.h).
//
// One process per window: the harness starts the binary once per call, so
// the process never holds (or can read) any other window's loads.
//
// Protocol. Input (stdin): "L E G N GPUS P\n" and L lines of E loads.
// Output (the stdout it had at start; the candidate's own stdout goes to
// stderr): "M wall_ns cpu_ns n v_1 ... v_n" (phy2log as returned,
// unchecked; wall_ns / cpu_ns = the monotonic-clock time and the process CPU
// time of the RebalanceExperts call alone, parsing and printing excluded) or
// "E message". Exit status 99: out of memory.
#include <time.h>

#include <cstdint>
#include <string>
#include <vector>

#include "driver_prelude.h"
#include "eplb.h"

using crucible_driver::NextInt;
using crucible_driver::ReadAll;
using crucible_driver::WriteAll;

namespace {

int64_t Nanos(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

}  // namespace

int main() {
  const int answers = crucible_driver::TakeAnswerChannel();
  if (answers < 0) return 1;
  const std::string input = ReadAll();
  size_t pos = 0;
  crucible::eplb::Problem p;
  p.layers = static_cast<int32_t>(NextInt(input, pos));
  p.experts = static_cast<int32_t>(NextInt(input, pos));
  p.groups = static_cast<int32_t>(NextInt(input, pos));
  p.nodes = static_cast<int32_t>(NextInt(input, pos));
  p.gpus = static_cast<int32_t>(NextInt(input, pos));
  p.slots = static_cast<int32_t>(NextInt(input, pos));
  p.load.resize(static_cast<size_t>(p.layers) * static_cast<size_t>(p.experts));
  for (int64_t& v : p.load) v = NextInt(input, pos);
  std::vector<int32_t> phy2log;
  int64_t wall_start = 0, wall_end = 0, cpu_start = 0, cpu_end = 0;
  const bool returned = crucible_driver::CallCandidate(answers, "RebalanceExperts", [&] {
    cpu_start = Nanos(CLOCK_PROCESS_CPUTIME_ID);
    wall_start = Nanos(CLOCK_MONOTONIC);
    phy2log = crucible::eplb::RebalanceExperts(p);
    wall_end = Nanos(CLOCK_MONOTONIC);
    cpu_end = Nanos(CLOCK_PROCESS_CPUTIME_ID);
  });
  if (!returned) return 0;
  std::string out = "M " + std::to_string(wall_end - wall_start) + " " +
                    std::to_string(cpu_end - cpu_start) + " " + std::to_string(phy2log.size());
  for (int32_t e : phy2log) {
    out += ' ';
    out += std::to_string(e);
  }
  out += '\n';
  WriteAll(answers, out);
  return 0;
}
