// The trusted cant_be_late driver. Not part of crucible's build: its text is
// embedded in crucible and compiled with each candidate (see harness.h).
//
// The simulator runs in the harness (another process); this driver only
// turns observations into calls of the candidate's policies. Protocol, all
// little-endian binary, one message per round of the harness's lockstep
// simulation:
//   harness -> driver: u32 n_begin, u32 n_end, u32 n_obs; then n_begin
//     Begin records (a new scenario: make a fresh policy), n_end u32 ids
//     (scenarios over: drop their policy), n_obs Obs records;
//   driver -> harness: n_obs bytes, the decision for each Obs in order
//     (0 NONE, 1 SPOT, 2 ON_DEMAND, 255 anything else).
// EOF on stdin: exit 0. The candidate's own stdout goes to stderr.
// Exit status 3: the candidate threw; 4: MakePolicy returned null; 5: bad
// message; 99: out of memory.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <vector>

#include "cant_be_late.h"
#include "driver_prelude.h"

using crucible_driver::WriteAll;

namespace {

struct Begin {
  uint32_t id;
  uint32_t pad;
  double gap_s, deadline_s, task_s, overhead_s;
};
struct Obs {
  uint32_t id;
  int32_t tick;
  double done_s;
  double remaining_overhead_s;
  uint8_t last_type, current_type, has_spot, pad[5];
};
static_assert(sizeof(Begin) == 40 && sizeof(Obs) == 32);

constexpr uint32_t kMaxScenarios = 1u << 20;

// Reads exactly n bytes; false on EOF before the first byte, exits on a
// truncated message.
bool ReadExact(void* p, size_t n, bool eof_ok) {
  char* c = static_cast<char*>(p);
  size_t got = 0;
  while (got < n) {
    const ssize_t r = read(0, c + got, n - got);
    if (r <= 0) {
      if (got == 0 && eof_ok) return false;
      std::_Exit(5);
    }
    got += static_cast<size_t>(r);
  }
  return true;
}

struct Slot {
  std::unique_ptr<cbl::Policy> policy;
  Begin begin{};
};

}  // namespace

int main() {
  const int answers = crucible_driver::TakeAnswerChannel();
  if (answers < 0) return 1;
  std::vector<Slot> slots;
  std::vector<Begin> begins;
  std::vector<uint32_t> ends;
  std::vector<Obs> obs;
  std::vector<uint8_t> reply;
  try {
    for (;;) {
      uint32_t header[3];
      if (!ReadExact(header, sizeof header, /*eof_ok=*/true)) return 0;
      if (header[0] > kMaxScenarios || header[1] > kMaxScenarios || header[2] > kMaxScenarios) {
        return 5;
      }
      begins.resize(header[0]);
      ends.resize(header[1]);
      obs.resize(header[2]);
      if (!begins.empty()) ReadExact(begins.data(), begins.size() * sizeof(Begin), false);
      if (!ends.empty()) ReadExact(ends.data(), ends.size() * sizeof(uint32_t), false);
      if (!obs.empty()) ReadExact(obs.data(), obs.size() * sizeof(Obs), false);
      for (const Begin& b : begins) {
        if (b.id >= kMaxScenarios) return 5;
        if (b.id >= slots.size()) slots.resize(b.id + 1);
        slots[b.id].begin = b;
        slots[b.id].policy = cbl::MakePolicy();
        if (!slots[b.id].policy) {
          std::fputs("MakePolicy() returned a null policy\n", stderr);
          return 4;
        }
      }
      for (uint32_t id : ends) {
        if (id < slots.size()) slots[id].policy.reset();
      }
      reply.resize(obs.size());
      for (size_t i = 0; i < obs.size(); ++i) {
        const Obs& o = obs[i];
        if (o.id >= slots.size() || !slots[o.id].policy) return 5;
        const Begin& b = slots[o.id].begin;
        cbl::Observation v;
        v.tick = o.tick;
        v.elapsed_s = static_cast<double>(o.tick) * b.gap_s;
        v.gap_s = b.gap_s;
        v.deadline_s = b.deadline_s;
        v.task_s = b.task_s;
        v.done_s = o.done_s;
        v.overhead_s = b.overhead_s;
        v.remaining_overhead_s = o.remaining_overhead_s;
        v.last_type = static_cast<cbl::ClusterType>(o.last_type);
        v.current_type = static_cast<cbl::ClusterType>(o.current_type);
        v.has_spot = o.has_spot != 0;
        const int d = static_cast<int>(slots[o.id].policy->Step(v));
        reply[i] = d >= 0 && d <= 2 ? static_cast<uint8_t>(d) : uint8_t{255};
      }
      if (!reply.empty()) WriteAll(answers, reply.data(), reply.size());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "the candidate threw: %s\n", e.what());
    return 3;
  } catch (...) {
    std::fputs("the candidate threw a non-std exception\n", stderr);
    return 3;
  }
}
