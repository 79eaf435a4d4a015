// The trusted prism driver. Not part of crucible's build: its text is
// embedded in crucible and compiled with each candidate (see harness.h).
//
// Protocol. Input (stdin): "C\n", then per case "G M n\n" and n lines
// "size rate slo". Output (the stdout it had at start; the candidate's own
// stdout goes to stderr): per case one line "P n g_1 ... g_n" (the placement
// as returned, unchecked) or "E message" (then nothing more).
// Exit status 99: out of memory.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <exception>
#include <new>
#include <string>
#include <vector>

#include "prism.h"

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

// Reads the next unsigned integer of `s` from position `pos`.
int64_t NextInt(const std::string& s, size_t& pos) {
  while (pos < s.size() && (s[pos] < '0' || s[pos] > '9')) ++pos;
  int64_t v = 0;
  while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') v = v * 10 + (s[pos++] - '0');
  return v;
}

}  // namespace

int main() {
  const int answers = dup(1);
  if (answers < 0 || dup2(2, 1) < 0) return 1;
  std::set_new_handler([] { std::_Exit(99); });
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
    try {
      placement = crucible::prism::PlaceModels(c);
    } catch (const std::exception& e) {
      WriteAll(answers, std::string("E PlaceModels threw: ") + e.what() + "\n");
      return 0;
    } catch (...) {
      WriteAll(answers, "E PlaceModels threw a non-standard exception\n");
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
