// The trusted txn_scheduling driver. Not part of crucible's build: its text
// is embedded in crucible and compiled with each candidate (see harness.h).
//
// Protocol. Input (stdin): "W\n", then per workload "SEED LINES\n" and LINES
// transaction lines. Output (the stdout it had at start; the candidate's own
// stdout goes to stderr): per workload one line "S n i_1 ... i_n" (the
// schedule as returned, unchecked) or "E message" (then nothing more).
// Exit status 99: out of memory.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "driver_prelude.h"

// The driver parses the workloads, so it compiles the header's parser.
#define CRUCIBLE_TXN_SCHEDULING_PARSER
#include "txn_scheduling.h"

using crucible_driver::ReadAll;
using crucible_driver::ToUint;
using crucible_driver::Until;
using crucible_driver::WriteAll;

int main() {
  // Answers go to the stdout the harness gave us; whatever the candidate
  // prints goes to stderr, so printf debugging cannot garble the answers.
  const int answers = crucible_driver::TakeAnswerChannel();
  if (answers < 0) return 1;
  const std::string input = ReadAll();
  std::string_view in = input;
  const uint64_t count = ToUint(Until(in, '\n'));
  for (uint64_t k = 0; k < count; ++k) {
    const std::string_view header = Until(in, '\n');
    const size_t space = header.find(' ');
    if (space == std::string_view::npos) return 2;
    const uint64_t seed = ToUint(header.substr(0, space));
    const uint64_t lines = ToUint(header.substr(space + 1));
    std::string text;
    for (uint64_t i = 0; i < lines; ++i) {
      text += Until(in, '\n');
      text += '\n';
    }
    txn::Workload workload;
    std::vector<std::string> key_names;
    std::string error;
    if (!txn::ParseWorkload(text, workload, key_names, error)) return 2;
    std::vector<int32_t> schedule;
    const bool returned = crucible_driver::CallCandidate(answers, "ScheduleTransactions", [&] {
      schedule = txn::ScheduleTransactions(workload, seed);
    });
    if (!returned) return 0;
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
