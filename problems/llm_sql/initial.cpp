// LLM-SQL: order each row's fields so that the rows' prompts share long
// prefixes (prefix-cache reuse); see prompt.md and llm_sql.h. The initial
// program is GGR (Greedy Group Recursion, MLSys'25), ADRS's seed.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "llm_sql.h"

// EVOLVE-BLOCK-START
namespace {

constexpr double kEarlyStop = 100000;  // min len^2 * (count - 1) to split on
constexpr double kDistinctThreshold = 0.7;
constexpr int kRowStop = 4;
constexpr int kColStop = 2;
constexpr size_t kBlockRows = 2000;

// Numbers compare numerically (the original sorts typed columns), other
// text byte-wise.
bool CellLess(std::string_view a, std::string_view b) {
  auto digits = [](std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (digits(a) && digits(b) && a.size() != b.size()) return a.size() < b.size();
  return a < b;
}

double Score(double mean_len, size_t distinct, size_t rows) {
  return distinct >= rows ? 0 : mean_len * mean_len * (static_cast<double>(rows) / static_cast<double>(distinct) - 1);
}

// Fields are handled by position, as the original's DataFrame columns: a
// block's rows share the meaning of positions start..end-1 only loosely
// (values may have been moved to the front by an earlier split).
struct Ggr {
  const llmsql::Table& table;
  llmsql::Order& order;  // per row: the fields in emitted order

  std::string_view Cell(int32_t r, size_t pos) const {
    return table.rows[static_cast<size_t>(r)][static_cast<size_t>(order[static_cast<size_t>(r)][pos])];
  }

  // The fallback: positions start..end-1 of every row of the block sorted by
  // the block's own column score, descending (stable).
  void Fixed(const std::vector<int32_t>& rows, size_t start, size_t end) {
    if (rows.empty() || end - start < 2) return;
    std::vector<std::pair<double, size_t>> score;
    for (size_t p = start; p < end; ++p) {
      std::unordered_set<std::string_view> distinct;
      double len = 0;
      for (int32_t r : rows) {
        const std::string_view v = Cell(r, p);
        distinct.insert(v);
        len += static_cast<double>(v.size());
      }
      score.emplace_back(-Score(len / static_cast<double>(rows.size()), distinct.size(), rows.size()), p);
    }
    std::stable_sort(score.begin(), score.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<int32_t> tmp(end - start);
    for (int32_t r : rows) {
      std::vector<int32_t>& o = order[static_cast<size_t>(r)];
      for (size_t k = 0; k < score.size(); ++k) tmp[k] = o[score[k].second];
      std::copy(tmp.begin(), tmp.end(), o.begin() + static_cast<std::ptrdiff_t>(start));
    }
  }

  void Recurse(std::vector<int32_t> rows, size_t start, size_t end, int row_depth, int col_depth) {
    if (rows.empty() || start >= end) return;
    if (row_depth >= kRowStop || col_depth >= kColStop) return Fixed(rows, start, end);
    // The value with the largest len^2 * (count - 1) among the block's cells.
    std::unordered_map<std::string_view, int64_t> count;
    for (int32_t r : rows) {
      for (size_t k = start; k < end; ++k) ++count[Cell(r, k)];
    }
    std::string_view best;
    double best_score = -1;
    for (const auto& [v, c] : count) {
      const double len = static_cast<double>(v.size());
      const double s = len * len * static_cast<double>(c - 1);
      if (s > best_score || (s == best_score && v < best)) {
        best_score = s;
        best = v;
      }
    }
    if (best_score < kEarlyStop) return Fixed(rows, start, end);
    std::vector<int32_t> with, without;
    std::vector<int32_t> front, back;
    for (int32_t r : rows) {
      std::vector<int32_t>& o = order[static_cast<size_t>(r)];
      const auto& cells = table.rows[static_cast<size_t>(r)];
      // Fields holding `best` move to the front of the free part, in order.
      front.clear();
      back.clear();
      for (size_t k = start; k < end; ++k) {
        (cells[static_cast<size_t>(o[k])] == best ? front : back).push_back(o[k]);
      }
      if (front.empty()) {
        without.push_back(r);
        continue;
      }
      with.push_back(r);
      std::copy(front.begin(), front.end(), o.begin() + static_cast<std::ptrdiff_t>(start));
      std::copy(back.begin(), back.end(), o.begin() + static_cast<std::ptrdiff_t>(start + front.size()));
    }
    // Column recursion on the fields after the value; row recursion on the rest.
    Recurse(std::move(with), start + 1, end, row_depth, col_depth + 1);
    Recurse(std::move(without), start, end, row_depth + 1, col_depth);
  }
};

}  // namespace

llmsql::Order llmsql::Reorder(const llmsql::Table& table, uint64_t seed) {
  (void)seed;  // deterministic
  const size_t n = table.rows.size();
  const size_t k = table.columns.size();
  // Column statistics: score = (mean length)^2 * (rows / distinct - 1).
  std::vector<double> score(k, 0);
  std::vector<char> too_distinct(k, 0);
  for (size_t c = 0; c < k; ++c) {
    std::unordered_set<std::string_view> distinct;
    double len = 0;
    for (const auto& row : table.rows) {
      distinct.insert(row[c]);
      len += static_cast<double>(row[c].size());
    }
    const double mean = n ? len / static_cast<double>(n) : 0;
    if (distinct.size() < n) {
      score[c] = mean * mean * (static_cast<double>(n) / static_cast<double>(distinct.size()) - 1);
    }
    too_distinct[c] = static_cast<double>(distinct.size()) > kDistinctThreshold * static_cast<double>(n);
  }
  std::vector<int32_t> by_score(k);
  for (size_t c = 0; c < k; ++c) by_score[c] = static_cast<int32_t>(c);
  std::stable_sort(by_score.begin(), by_score.end(),
                   [&](int32_t a, int32_t b) { return score[static_cast<size_t>(a)] > score[static_cast<size_t>(b)]; });
  // The recursion works on the columns that are not too distinct; those
  // follow at the end of every row in score order.
  std::vector<int32_t> base;
  for (int32_t c : by_score) if (!too_distinct[static_cast<size_t>(c)]) base.push_back(c);
  const size_t free_end = base.size();
  for (int32_t c : by_score) if (too_distinct[static_cast<size_t>(c)]) base.push_back(c);
  llmsql::Order order(n, base);
  Ggr ggr{table, order};
  // Rows sorted by all fields in score order before the split into blocks.
  std::vector<int32_t> sorted(n);
  for (size_t r = 0; r < n; ++r) sorted[r] = static_cast<int32_t>(r);
  std::stable_sort(sorted.begin(), sorted.end(), [&](int32_t a, int32_t b) {
    for (int32_t c : base) {
      const std::string& x = table.rows[static_cast<size_t>(a)][static_cast<size_t>(c)];
      const std::string& y = table.rows[static_cast<size_t>(b)][static_cast<size_t>(c)];
      if (x != y) return CellLess(x, y);
    }
    return false;
  });
  // Blocks of at most kBlockRows rows by recursive halving, each on its own.
  std::vector<std::pair<size_t, size_t>> stack{{0, n}};
  while (!stack.empty()) {
    const auto [lo, hi] = stack.back();
    stack.pop_back();
    if (hi - lo > kBlockRows) {
      const size_t mid = lo + (hi - lo) / 2;
      stack.emplace_back(mid, hi);
      stack.emplace_back(lo, mid);
      continue;
    }
    std::vector<int32_t> rows;
    for (size_t r = lo; r < hi; ++r) rows.push_back(sorted[r]);
    ggr.Recurse(std::move(rows), 0, free_end, 0, 0);
  }
  return order;
}
// EVOLVE-BLOCK-END
