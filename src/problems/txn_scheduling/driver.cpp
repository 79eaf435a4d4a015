// The trusted txn_scheduling driver. Not part of crucible's build: its text
// is embedded in crucible and compiled with each candidate (see harness.h).
//
// Protocol. Input (stdin): "W\n", then per workload "SEED LINES\n" and LINES
// transaction lines. Output (the stdout it had at start; the candidate's own
// stdout goes to stderr): per workload one line "S n i_1 ... i_n" (the
// schedule as returned, unchecked) or "E message" (then nothing more).
// Exit status 99: out of memory.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <exception>
#include <new>
#include <string>
#include <string_view>
#include <vector>

// The driver parses the workloads, so it compiles the header's parser.
#define CRUCIBLE_TXN_SCHEDULING_PARSER
#include "txn_scheduling.h"

namespace {

std::string ReadAll() {
  std::string s;
  char buf[1 << 16];
  for (;;) {
    const ssize_t r = read(0, buf, sizeof buf);
    if (r <= 0) break;
    s.append(buf, static_cast<size_t>(r));
  }
  return s;
}

void WriteAll(int fd, const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    const ssize_t w = write(fd, s.data() + done, s.size() - done);
    if (w <= 0) std::_Exit(1);
    done += static_cast<size_t>(w);
  }
}

// The next line of `in` (without its newline).
std::string_view NextLine(std::string_view& in) {
  const size_t nl = in.find('\n');
  const std::string_view line = in.substr(0, nl);
  in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  return line;
}

uint64_t ToUint(std::string_view s) {
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') break;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

}  // namespace

int main() {
  // Answers go to the stdout the harness gave us; whatever the candidate
  // prints goes to stderr, so printf debugging cannot garble the answers.
  const int answers = dup(1);
  if (answers < 0 || dup2(2, 1) < 0) return 1;
  std::set_new_handler([] { std::_Exit(99); });
  const std::string input = ReadAll();
  std::string_view in = input;
  const uint64_t count = ToUint(NextLine(in));
  for (uint64_t k = 0; k < count; ++k) {
    const std::string_view header = NextLine(in);
    const size_t space = header.find(' ');
    if (space == std::string_view::npos) return 2;
    const uint64_t seed = ToUint(header.substr(0, space));
    const uint64_t lines = ToUint(header.substr(space + 1));
    std::string text;
    for (uint64_t i = 0; i < lines; ++i) {
      text += NextLine(in);
      text += '\n';
    }
    txn::Workload workload;
    std::vector<std::string> key_names;
    std::string error;
    if (!txn::ParseWorkload(text, workload, key_names, error)) return 2;
    std::vector<int32_t> schedule;
    try {
      schedule = txn::ScheduleTransactions(workload, seed);
    } catch (const std::exception& e) {
      WriteAll(answers, std::string("E ScheduleTransactions threw: ") + e.what() + "\n");
      return 0;
    } catch (...) {
      WriteAll(answers, "E ScheduleTransactions threw a non-standard exception\n");
      return 0;
    }
    std::string out = "S " + std::to_string(schedule.size());
    for (int32_t t : schedule) {
      out += ' ';
      out += std::to_string(t);
    }
    out += '\n';
    WriteAll(answers, out);
  }
  return 0;
}
