// The trusted bin_packing driver. Not part of crucible's build: its text is
// embedded in crucible and compiled with each candidate (see candidate_api.h
// for the protocol). It stops at the first failing instance: one error is
// enough feedback, and the rest of the run would only cost time.
#include <emmintrin.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <limits>
#include <new>
#include <span>
#include <string>
#include <vector>

#include "bin_packing.h"
#include "driver_prelude.h"

using crucible_driver::ReadAll;
using crucible_driver::WriteAll;

namespace {

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

// The first index of the maximum score, or -1 when a score is not finite.
// SSE2 (baseline x86-64): the check and the maximum in one pass, then the
// first position holding the maximum.
long ArgmaxFinite(const double* s, size_t m) {
  const __m128d abs_mask = _mm_castsi128_pd(_mm_set1_epi64x(0x7fffffffffffffffLL));
  const __m128d largest = _mm_set1_pd(std::numeric_limits<double>::max());
  // Four independent accumulators: max_pd's latency, not its throughput,
  // would otherwise bound the loop.
  const __m128d lowest = _mm_set1_pd(-std::numeric_limits<double>::max());
  const __m128d all = _mm_castsi128_pd(_mm_set1_epi64x(-1));
  __m128d m0 = lowest, m1 = lowest, m2 = lowest, m3 = lowest;
  __m128d f0 = all, f1 = all, f2 = all, f3 = all;
  size_t j = 0;
  for (; j + 8 <= m; j += 8) {
    const __m128d x0 = _mm_loadu_pd(s + j), x1 = _mm_loadu_pd(s + j + 2),
                  x2 = _mm_loadu_pd(s + j + 4), x3 = _mm_loadu_pd(s + j + 6);
    f0 = _mm_and_pd(f0, _mm_cmple_pd(_mm_and_pd(x0, abs_mask), largest));
    f1 = _mm_and_pd(f1, _mm_cmple_pd(_mm_and_pd(x1, abs_mask), largest));
    f2 = _mm_and_pd(f2, _mm_cmple_pd(_mm_and_pd(x2, abs_mask), largest));
    f3 = _mm_and_pd(f3, _mm_cmple_pd(_mm_and_pd(x3, abs_mask), largest));
    m0 = _mm_max_pd(m0, x0);
    m1 = _mm_max_pd(m1, x1);
    m2 = _mm_max_pd(m2, x2);
    m3 = _mm_max_pd(m3, x3);
  }
  const __m128d vmax = _mm_max_pd(_mm_max_pd(m0, m1), _mm_max_pd(m2, m3));
  const __m128d finite = _mm_and_pd(_mm_and_pd(f0, f1), _mm_and_pd(f2, f3));
  double lanes[2];
  _mm_storeu_pd(lanes, vmax);
  double best = lanes[0] > lanes[1] ? lanes[0] : lanes[1];
  bool ok = _mm_movemask_pd(finite) == 3;
  for (; j < m; ++j) {
    ok = ok && std::isfinite(s[j]);
    if (s[j] > best) best = s[j];
  }
  if (!ok) return -1;
  const __m128d vbest = _mm_set1_pd(best);
  for (j = 0; j + 2 <= m; j += 2) {
    const int mask = _mm_movemask_pd(_mm_cmpeq_pd(_mm_loadu_pd(s + j), vbest));
    if (mask) return static_cast<long>(j + ((mask & 1) ? 0 : 1));
  }
  for (; j < m; ++j) {
    if (s[j] == best) return static_cast<long>(j);
  }
  return -1;
}

void AppendInt(std::string& out, int v) {
  char buf[16];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// The online loop (the reference simulation of the spec, §3). The array shown
// to priority() is [remaining capacity of the used bins that fit, in index
// order] + [capacity] * (number of never-used bins, or 1 in fast mode); bins
// at or past `opened` were never used. The constant tail is never rewritten:
// `values` holds capacity everywhere past `dirty`.
std::string Pack(bool fast, int capacity, const std::vector<int>& items, std::string& out) {
  const size_t n = items.size();
  const double cap = capacity;
  std::vector<double> rem(n, cap), values(n + 2, cap), scores(n + 2);
  std::vector<int> index(n + 2);
  size_t opened = 0, dirty = 0;
  out += 'A';
  for (size_t t = 0; t < n; ++t) {
    const int s = items[t];
    const double size = s;
    size_t k = 0;
    for (size_t i = 0; i < opened; ++i) {  // branch-free compaction
      const double r = rem[i];
      values[k] = r;
      index[k] = static_cast<int>(i);
      k += r >= size;
    }
    const size_t written = opened > 0 ? k + 1 : 0;
    const size_t dirty_end = dirty > written ? dirty : written;
    for (size_t i = k; i < dirty_end; ++i) values[i] = cap;
    dirty = k;
    const size_t unused = fast ? (opened < n ? 1 : 0) : n - opened;
    const size_t m = k + unused;
    if (m == 0) return "item " + std::to_string(t) + ": no bin fits";
    // All-ones bytes are a NaN: an entry the candidate leaves unset fails the
    // finiteness check. memset, because GCC -O2 fills doubles one at a time.
    std::memset(scores.data(), 0xff, m * sizeof(double));
    priority(size, std::span<const double>(values.data(), m), std::span<double>(scores.data(), m));
    const long best = ArgmaxFinite(scores.data(), m);
    if (best < 0) {
      size_t j = 0;
      while (j < m && std::isfinite(scores[j])) ++j;
      return "item " + std::to_string(t) + " (size " + std::to_string(s) + "): score " +
             std::to_string(j) + " of " + std::to_string(m) + " is " +
             (std::isnan(scores[j]) ? "NaN (or was not set)" : "infinite");
    }
    const size_t pos = static_cast<size_t>(best);
    const size_t b = pos < k ? static_cast<size_t>(index[pos]) : opened + (pos - k);
    rem[b] -= size;
    if (b + 1 > opened) opened = b + 1;
    out += ' ';
    AppendInt(out, static_cast<int>(b));
  }
  out += '\n';
  return "";
}

}  // namespace

int main() {
  const int answers = crucible_driver::TakeAnswerChannel();
  if (answers < 0) return 1;
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
