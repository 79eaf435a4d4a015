// What every trusted problem driver (problems/*/src/driver.cpp) needs around
// the candidate's call: one answer channel, whole-input reads, whole writes,
// and a thrown exception reported as an answer line.
//
// Not part of crucible's build. CMake's crucible_problem_driver() (in
// src/problems/CMakeLists.txt) puts this text in place of the driver's
// `#include "driver_prelude.h"` when it embeds the driver, so the binary
// built with each candidate carries it; the candidate never sees the file.
//
// The answer channel: a driver's stdout at start is where the harness reads
// answers. TakeAnswerChannel() keeps it as a private descriptor and points
// fd 1 at stderr, so whatever the candidate prints is feedback, never an
// answer. Out of memory inside the candidate ends the process with status 99
// (kDriverExitOutOfMemory in compiled_candidate.h): a memory_limit outcome.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <new>
#include <string>
#include <string_view>

namespace crucible_driver {

// The answer descriptor, or -1 (the driver then exits 1).
inline int TakeAnswerChannel() {
  const int answers = dup(1);
  if (answers < 0 || dup2(2, 1) < 0) return -1;
  std::set_new_handler([] { std::_Exit(99); });
  return answers;
}

// All of stdin.
inline std::string ReadAll() {
  std::string s;
  char buf[1 << 16];
  for (;;) {
    const ssize_t r = read(0, buf, sizeof buf);
    if (r <= 0) break;
    s.append(buf, static_cast<size_t>(r));
  }
  return s;
}

// Writes all n bytes or exits 1 (the harness is gone).
inline void WriteAll(int fd, const void* p, size_t n) {
  const char* c = static_cast<const char*>(p);
  while (n > 0) {
    const ssize_t w = write(fd, c, n);
    if (w <= 0) std::_Exit(1);
    c += w;
    n -= static_cast<size_t>(w);
  }
}

inline void WriteAll(int fd, const std::string& s) { WriteAll(fd, s.data(), s.size()); }

// The next unsigned decimal integer of `s` at or after `pos` (the harness
// wrote the input: it is trusted).
inline int64_t NextInt(const std::string& s, size_t& pos) {
  while (pos < s.size() && (s[pos] < '0' || s[pos] > '9')) ++pos;
  int64_t v = 0;
  while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') v = v * 10 + (s[pos++] - '0');
  return v;
}

// The text of `in` up to the first `sep` (all of it when there is none);
// `in` moves past the separator.
inline std::string_view Until(std::string_view& in, char sep) {
  const size_t at = in.find(sep);
  const std::string_view out = in.substr(0, at);
  in = at == std::string_view::npos ? std::string_view() : in.substr(at + 1);
  return out;
}

// The unsigned decimal integer at the start of `s` (0 when none).
inline uint64_t ToUint(std::string_view s) {
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') break;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

// Runs `call` (the candidate's entry point `name`); if it throws, writes the
// answer line "E <name> threw: <what>" to `answers` and returns false.
template <typename Call>
bool CallCandidate(int answers, const char* name, Call&& call) {
  try {
    call();
    return true;
  } catch (const std::exception& e) {
    WriteAll(answers, std::string("E ") + name + " threw: " + e.what() + "\n");
  } catch (...) {
    WriteAll(answers, std::string("E ") + name + " threw a non-standard exception\n");
  }
  return false;
}

}  // namespace crucible_driver
