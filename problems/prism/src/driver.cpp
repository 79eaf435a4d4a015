// The trusted prism driver. Not part of crucible's build: its text is
// embedded in crucible and compiled with each candidate (see harness.h).
//
// Protocol. Input (stdin): "C\n", then per case "G M n\n" and n lines
// "size rate slo". Output (the stdout it had at start; the candidate's own
// stdout goes to stderr): per case one line "P n g_1 ... g_n" (the placement
// as returned, unchecked) or "E message" (then nothing more).
// Exit status 99: out of memory.
#include <cstdint>
#include <string>
#include <vector>

#include "driver_prelude.h"
#include "prism.h"

using crucible_driver::NextInt;
using crucible_driver::ReadAll;
using crucible_driver::WriteAll;

int main() {
  const int answers = crucible_driver::TakeAnswerChannel();
  if (answers < 0) return 1;
  const std::string input = ReadAll();
  size_t pos = 0;
  const int64_t count = NextInt(input, pos);
  for (int64_t k = 0; k < count; ++k) {
    crucible::prism::Case c;
    c.gpus = static_cast<int32_t>(NextInt(input, pos));
    c.memory_gb = static_cast<int32_t>(NextInt(input, pos));
    const int64_t n = NextInt(input, pos);
    for (int64_t j = 0; j < n; ++j) {
      crucible::prism::Model m;
      m.size_gb = static_cast<int32_t>(NextInt(input, pos));
      m.rate = static_cast<int32_t>(NextInt(input, pos));
      m.slo = static_cast<int32_t>(NextInt(input, pos));
      c.models.push_back(m);
    }
    std::vector<int32_t> placement;
    if (!crucible_driver::CallCandidate(answers, "PlaceModels",
                                        [&] { placement = crucible::prism::PlaceModels(c); })) {
      return 0;
    }
    std::string out = "P " + std::to_string(placement.size());
    for (int32_t g : placement) {
      out += ' ';
      out += std::to_string(g);
    }
    out += '\n';
    WriteAll(answers, out);
  }
  return 0;
}
