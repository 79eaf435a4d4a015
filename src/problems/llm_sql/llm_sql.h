// llm_sql.h: the LLM-SQL prefix-reuse problem (ADRS) as a candidate sees it
// (it is written next to the candidate as "llm_sql.h") and as crucible uses
// it. A table's rows are sent to an LLM one prompt per row: the prompt is the
// row's field texts concatenated with no separator, and the serving engine
// reuses any prefix it has already seen. The candidate chooses, per row, the
// order of that row's own fields; the metric is the prefix hit rate of
// shared/problems/llm_sql.md §2:
//   hit rate = sum over rows of (longest common prefix with any other row
//              emitted before it) / total characters,
// which does not depend on row order and equals
//   (sum of the LCPs of adjacent strings after sorting all row strings) /
//   total characters.
//
// Header-only and standard-library-only, so the same code is the candidate's
// scorer; the harness validates every order and recomputes the hit rate with
// its own copy of the table, never trusting a number the candidate computes.
//
// Thread safety: a Table is immutable once built and may be shared.
#ifndef CRUCIBLE_PROBLEMS_LLM_SQL_LLM_SQL_H_
#define CRUCIBLE_PROBLEMS_LLM_SQL_LLM_SQL_H_

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace crucible::llmsql {

// A table after the evaluator's column merges: every row has num_fields()
// fields; a merge group (e.g. beer/name + beer/beerId) is one field whose
// text is the members' texts concatenated.
struct Table {
  std::string name;
  std::vector<std::string> columns;            // field names ("a+b" for a merge)
  std::vector<std::vector<std::string>> rows;  // rows[r][k]: field k of row r

  int32_t num_rows() const { return static_cast<int32_t>(rows.size()); }
  int32_t num_fields() const { return static_cast<int32_t>(columns.size()); }
};

// order[r] is a permutation of 0 .. num_fields()-1: row r's prompt is
// rows[r][order[r][0]] + rows[r][order[r][1]] + ...
using Order = std::vector<std::vector<int32_t>>;

// The candidate's function (defined in the evolved file). `seed` is fixed by
// the evaluator: randomised searches must draw only from it.
Order Reorder(const Table& table, uint64_t seed);

// "" when `order` has one entry per row and each is a permutation of the
// row's field indices; otherwise what is wrong (the first bad row).
inline std::string ValidateOrder(const Table& t, const Order& order) {
  if (order.size() != t.rows.size()) {
    return "expected an order for each of the " + std::to_string(t.rows.size()) + " rows, got " +
           std::to_string(order.size());
  }
  const size_t k = t.columns.size();
  std::vector<int32_t> seen(k, -1);
  for (size_t r = 0; r < order.size(); ++r) {
    if (order[r].size() != k) {
      return "row " + std::to_string(r) + ": expected " + std::to_string(k) + " field indices, got " +
             std::to_string(order[r].size());
    }
    for (int32_t f : order[r]) {
      if (f < 0 || static_cast<size_t>(f) >= k) {
        return "row " + std::to_string(r) + ": field index " + std::to_string(f) + " out of range";
      }
      if (seen[static_cast<size_t>(f)] == static_cast<int32_t>(r)) {
        return "row " + std::to_string(r) + ": field " + std::to_string(f) + " appears twice";
      }
      seen[static_cast<size_t>(f)] = static_cast<int32_t>(r);
    }
  }
  return "";
}

struct HitCount {
  int64_t hit_chars = 0;    // sum over rows of the reused prefix length
  int64_t total_chars = 0;  // sum of the row lengths
  double rate() const {
    return total_chars == 0 ? 0.0 : static_cast<double>(hit_chars) / static_cast<double>(total_chars);
  }
};

// The row strings of a validated order.
inline std::vector<std::string> RowStrings(const Table& t, const Order& order) {
  std::vector<std::string> out(t.rows.size());
  for (size_t r = 0; r < t.rows.size(); ++r) {
    for (int32_t f : order[r]) out[r] += t.rows[r][static_cast<size_t>(f)];
  }
  return out;
}

// The prefix hit count of the row strings (any order): sort, then sum the
// LCPs of neighbours. Byte-wise, as the original on ASCII data.
inline HitCount PrefixHits(std::vector<std::string> strings) {
  HitCount h;
  for (const std::string& s : strings) h.total_chars += static_cast<int64_t>(s.size());
  std::sort(strings.begin(), strings.end());
  for (size_t i = 1; i < strings.size(); ++i) {
    const std::string& a = strings[i - 1];
    const std::string& b = strings[i];
    const size_t n = std::min(a.size(), b.size());
    size_t l = 0;
    while (l < n && a[l] == b[l]) ++l;
    h.hit_chars += static_cast<int64_t>(l);
  }
  return h;
}

// The hit count of a validated order.
inline HitCount Score(const Table& t, const Order& order) { return PrefixHits(RowStrings(t, order)); }

}  // namespace crucible::llmsql

namespace llmsql = ::crucible::llmsql;

#endif  // CRUCIBLE_PROBLEMS_LLM_SQL_LLM_SQL_H_
