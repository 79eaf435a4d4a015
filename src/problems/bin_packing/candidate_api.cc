#include "problems/bin_packing/candidate_api.h"

namespace crucible::bin_packing {

std::string_view HeaderSource() {
  return R"CRUCIBLE(// bin_packing.h: the function a bin_packing candidate implements.
#ifndef CRUCIBLE_BIN_PACKING_H_
#define CRUCIBLE_BIN_PACKING_H_

#include <span>

// Called once for each arriving item, before the next one is known.
//   item    the item's size (a positive integer, as a double)
//   bins    the remaining capacity of every bin that can take the item
//           (remaining >= item), in ascending bin order, never-used bins
//           included (their remaining capacity is the bin capacity)
//   scores  same length as bins: write one finite score per bin
// The item goes into the bin with the highest score (the first one on ties).
// A NaN, an infinite or an unset score fails the candidate.
void priority(double item, std::span<const double> bins, std::span<double> scores);

#endif  // CRUCIBLE_BIN_PACKING_H_
)CRUCIBLE";
}

// Why the driver stops at the first failing instance: one error is enough
// feedback, and the rest of the run would only cost time.
std::string_view DriverSource() {
  return R"CRUCIBLE(
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <limits>
#include <new>
#include <span>
#include <string>
#include <vector>

#include "bin_packing.h"

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

struct Reader {
  const char* p;
  const char* end;
  bool Next(long& v) {
    while (p < end && (*p == ' ' || *p == '\n')) ++p;
    if (p >= end) return false;
    v = 0;
    while (p < end && *p >= '0' && *p <= '9') v = v * 10 + (*p++ - '0');
    return true;
  }
};

void WriteAll(int fd, const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    const ssize_t w = write(fd, s.data() + done, s.size() - done);
    if (w <= 0) std::_Exit(1);
    done += static_cast<size_t>(w);
  }
}

std::string Pack(bool fast, int capacity, const std::vector<int>& items, std::string& out) {
  const size_t n = items.size();
  std::vector<int> rem(n, capacity);
  std::vector<double> bins, scores;
  std::vector<int> index;
  bins.reserve(n + 1);
  index.reserve(n + 1);
  size_t opened = 0;
  out += 'A';
  for (size_t t = 0; t < n; ++t) {
    const int s = items[t];
    bins.clear();
    index.clear();
    for (size_t i = 0; i < opened; ++i) {
      if (rem[i] >= s) {
        bins.push_back(rem[i]);
        index.push_back(static_cast<int>(i));
      }
    }
    const size_t unused = fast ? (opened < n ? 1 : 0) : n - opened;
    for (size_t k = 0; k < unused; ++k) {
      bins.push_back(capacity);
      index.push_back(static_cast<int>(opened + k));
    }
    if (bins.empty()) return "item " + std::to_string(t) + ": no bin fits";
    scores.assign(bins.size(), std::numeric_limits<double>::quiet_NaN());
    priority(static_cast<double>(s), std::span<const double>(bins), std::span<double>(scores));
    size_t best = 0;
    for (size_t j = 0; j < scores.size(); ++j) {
      if (!std::isfinite(scores[j])) {
        return "item " + std::to_string(t) + " (size " + std::to_string(s) + "): score " +
               std::to_string(j) + " of " + std::to_string(scores.size()) + " is " +
               (std::isnan(scores[j]) ? "NaN (or was not set)" : "infinite");
      }
      if (scores[j] > scores[best]) best = j;
    }
    const int b = index[best];
    rem[static_cast<size_t>(b)] -= s;
    if (static_cast<size_t>(b) + 1 > opened) opened = static_cast<size_t>(b) + 1;
    out += ' ';
    out += std::to_string(b);
  }
  out += '\n';
  return "";
}

}  // namespace

int main() {
  // Answers go to the stdout the harness gave us; whatever the candidate
  // prints goes to stderr, so printf debugging cannot garble the answers.
  const int answers = dup(1);
  if (answers < 0 || dup2(2, 1) < 0) return 1;
  const std::string input = ReadAll();
  Reader in{input.data(), input.data() + input.size()};
  long mode = 0, count = 0;
  if (!in.Next(mode) || !in.Next(count)) return 2;
  std::string out;
  for (long k = 0; k < count; ++k) {
    long capacity = 0, n = 0;
    if (!in.Next(capacity) || !in.Next(n)) return 2;
    std::vector<int> items(static_cast<size_t>(n));
    for (long i = 0; i < n; ++i) {
      long s = 0;
      if (!in.Next(s)) return 2;
      items[static_cast<size_t>(i)] = static_cast<int>(s);
    }
    std::string error;
    try {
      error = Pack(mode == 1, static_cast<int>(capacity), items, out);
    } catch (const std::bad_alloc&) {
      return 99;
    } catch (const std::exception& e) {
      error = std::string("priority threw an exception: ") + e.what();
    } catch (...) {
      error = "priority threw an exception";
    }
    if (!error.empty()) {
      std::fflush(stdout);
      WriteAll(answers, out.substr(0, out.rfind('\n') + 1) + "E " + error + "\n");
      return 0;
    }
    if (out.size() > (1 << 20)) {
      WriteAll(answers, out);
      out.clear();
    }
  }
  std::fflush(stdout);
  WriteAll(answers, out);
  return 0;
}
)CRUCIBLE";
}

}  // namespace crucible::bin_packing
