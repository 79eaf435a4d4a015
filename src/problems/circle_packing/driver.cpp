// The trusted circle_packing driver. Not part of crucible's build: its text
// is embedded in crucible and compiled with each candidate (see harness.h).
//
// Protocol. Input (stdin): "J\n", then per job "n container seed\n"
// (container 0 = unit square, 1 = rectangle of perimeter 4). Output (the
// stdout it had at start; the candidate's own stdout goes to stderr): per job
// one line "C m x_1 y_1 r_1 ... x_m y_m r_m" (the disks as returned,
// unchecked, each double printed so that it parses back exactly) or
// "E message" (then nothing more). Exit status 99: out of memory.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <new>
#include <string>
#include <vector>

#include "circle_packing.h"

namespace {

std::string ReadAll() {
  std::string s;
  char buf[1 << 12];
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

void AppendDouble(std::string& out, double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, " %.17g", v);
  out += buf;
}

}  // namespace

int main() {
  // Answers go to the stdout the harness gave us; whatever the candidate
  // prints goes to stderr, so printf debugging cannot garble the answers.
  const int answers = dup(1);
  if (answers < 0 || dup2(2, 1) < 0) return 1;
  std::set_new_handler([] { std::_Exit(99); });
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
    try {
      result = circles::PackCircles(static_cast<int>(n),
                                    container == 0 ? circles::Container::kUnitSquare
                                                   : circles::Container::kRectanglePerimeter4,
                                    static_cast<uint64_t>(seed));
    } catch (const std::exception& e) {
      WriteAll(answers, std::string("E PackCircles threw: ") + e.what() + "\n");
      return 0;
    } catch (...) {
      WriteAll(answers, "E PackCircles threw a non-standard exception\n");
      return 0;
    }
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
