// The trusted circle_packing driver. Not part of crucible's build: its text
// is embedded in crucible and compiled with each candidate (see harness.h).
//
// Protocol. Input (stdin): "J\n", then per job "n container seed\n"
// (container 0 = unit square, 1 = rectangle of perimeter 4). Output (the
// stdout it had at start; the candidate's own stdout goes to stderr): per job
// one line "C m x_1 y_1 r_1 ... x_m y_m r_m" (the disks as returned,
// unchecked, each double printed so that it parses back exactly) or
// "E message" (then nothing more). Exit status 99: out of memory.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "circle_packing.h"
#include "driver_prelude.h"

using crucible_driver::ReadAll;
using crucible_driver::WriteAll;

namespace {

void AppendDouble(std::string& out, double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, " %.17g", v);
  out += buf;
}

}  // namespace

int main() {
  // Answers go to the stdout the harness gave us; whatever the candidate
  // prints goes to stderr, so printf debugging cannot garble the answers.
  const int answers = crucible_driver::TakeAnswerChannel();
  if (answers < 0) return 1;
  const std::string input = ReadAll();
  const char* p = input.c_str();
  char* end = nullptr;
  const unsigned long long jobs = std::strtoull(p, &end, 10);
  p = end;
  for (unsigned long long k = 0; k < jobs; ++k) {
    const long n = std::strtol(p, &end, 10);
    p = end;
    const long container = std::strtol(p, &end, 10);
    p = end;
    const unsigned long long seed = std::strtoull(p, &end, 10);
    p = end;
    std::vector<circles::Circle> result;
    const bool returned = crucible_driver::CallCandidate(answers, "PackCircles", [&] {
      result = circles::PackCircles(static_cast<int>(n),
                                    container == 0 ? circles::Container::kUnitSquare
                                                   : circles::Container::kRectanglePerimeter4,
                                    static_cast<uint64_t>(seed));
    });
    if (!returned) return 0;
    std::string out = "C " + std::to_string(result.size());
    for (const circles::Circle& c : result) {
      AppendDouble(out, c.x);
      AppendDouble(out, c.y);
      AppendDouble(out, c.r);
    }
    out += '\n';
    WriteAll(answers, out);
  }
  return 0;
}
