#include "core/diff.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace crucible {
namespace {

// Above this many cells the exact LCS table is too costly; the changed middle
// is then shown as one deletion followed by one insertion.
constexpr size_t kMaxLcsCells = 4'000'000;

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    lines.push_back(text.substr(pos, end - pos));
    pos = end;
  }
  return lines;
}

enum class Op { kKeep, kDelete, kInsert };
struct Edit {
  Op op;
  std::string_view line;
};

// Edit script for a[lo_a, hi_a) -> b[lo_b, hi_b) by LCS.
void DiffMiddle(const std::vector<std::string_view>& a, const std::vector<std::string_view>& b,
                size_t lo_a, size_t hi_a, size_t lo_b, size_t hi_b, std::vector<Edit>& out) {
  const size_t n = hi_a - lo_a, m = hi_b - lo_b;
  if ((n + 1) * (m + 1) > kMaxLcsCells) {
    for (size_t i = lo_a; i < hi_a; ++i) out.push_back({Op::kDelete, a[i]});
    for (size_t j = lo_b; j < hi_b; ++j) out.push_back({Op::kInsert, b[j]});
    return;
  }
  // lcs[i][j] = LCS length of a[lo_a+i..hi_a) and b[lo_b+j..hi_b).
  std::vector<uint32_t> lcs((n + 1) * (m + 1), 0);
  auto at = [&](size_t i, size_t j) -> uint32_t& { return lcs[i * (m + 1) + j]; };
  for (size_t i = n; i-- > 0;) {
    for (size_t j = m; j-- > 0;) {
      at(i, j) = a[lo_a + i] == b[lo_b + j] ? at(i + 1, j + 1) + 1
                                            : std::max(at(i + 1, j), at(i, j + 1));
    }
  }
  size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[lo_a + i] == b[lo_b + j]) {
      out.push_back({Op::kKeep, a[lo_a + i]});
      ++i, ++j;
    } else if (i < n && (j == m || at(i + 1, j) >= at(i, j + 1))) {
      out.push_back({Op::kDelete, a[lo_a + i]});  // deletions first, as diff(1) shows them
      ++i;
    } else {
      out.push_back({Op::kInsert, b[lo_b + j]});
      ++j;
    }
  }
}

void AppendLine(std::string& out, char prefix, std::string_view line) {
  out += prefix;
  out += line;
  if (line.empty() || line.back() != '\n') out += "\n\\ No newline at end of file\n";
}

std::string FormatHunks(const std::vector<Edit>& edits, int context) {
  std::string out;
  const size_t n = edits.size();
  size_t k = 0;
  size_t line_a = 1, line_b = 1;  // 1-based line numbers at edits[k]
  while (k < n) {
    // Find the next change.
    size_t first = k;
    size_t a_at = line_a, b_at = line_b;
    while (first < n && edits[first].op == Op::kKeep) {
      ++first, ++a_at, ++b_at;
    }
    if (first == n) break;
    const size_t lead = std::min<size_t>(context, first - k);
    size_t start = first - lead;
    size_t a_start = a_at - lead, b_start = b_at - lead;
    // Extend the hunk while changes are within 2*context keeps of each other.
    size_t end = first;
    size_t keeps = 0;
    for (size_t e = first; e < n; ++e) {
      if (edits[e].op == Op::kKeep) {
        if (++keeps > static_cast<size_t>(2 * context)) break;
      } else {
        keeps = 0;
        end = e + 1;
      }
    }
    const size_t stop = std::min(n, end + context);
    size_t a_len = 0, b_len = 0;
    for (size_t e = start; e < stop; ++e) {
      if (edits[e].op != Op::kInsert) ++a_len;
      if (edits[e].op != Op::kDelete) ++b_len;
    }
    out += fmt::format("@@ -{},{} +{},{} @@\n", a_len ? a_start : a_start - 1, a_len,
                       b_len ? b_start : b_start - 1, b_len);
    for (size_t e = start; e < stop; ++e) {
      const char p = edits[e].op == Op::kKeep ? ' ' : edits[e].op == Op::kDelete ? '-' : '+';
      AppendLine(out, p, edits[e].line);
    }
    line_a = a_start + a_len;
    line_b = b_start + b_len;
    k = stop;
  }
  return out;
}

}  // namespace

std::string UnifiedDiff(std::string_view before, std::string_view after, std::string_view path,
                        int context) {
  if (before == after) return "";
  const auto a = SplitLines(before);
  const auto b = SplitLines(after);
  size_t prefix = 0;
  while (prefix < a.size() && prefix < b.size() && a[prefix] == b[prefix]) ++prefix;
  size_t suffix = 0;
  while (suffix < a.size() - prefix && suffix < b.size() - prefix &&
         a[a.size() - 1 - suffix] == b[b.size() - 1 - suffix]) {
    ++suffix;
  }
  std::vector<Edit> edits;
  edits.reserve(a.size() + b.size());
  for (size_t i = 0; i < prefix; ++i) edits.push_back({Op::kKeep, a[i]});
  DiffMiddle(a, b, prefix, a.size() - suffix, prefix, b.size() - suffix, edits);
  for (size_t i = a.size() - suffix; i < a.size(); ++i) edits.push_back({Op::kKeep, a[i]});
  return fmt::format("--- a/{}\n+++ b/{}\n", path, path) + FormatHunks(edits, context);
}

std::string ProgramDiff(const Program& before, const Program& after, int context) {
  std::string out;
  for (const SourceFile& f : after.files) {
    const SourceFile* old = before.Find(f.path);
    out += UnifiedDiff(old ? std::string_view(old->content) : std::string_view(), f.content,
                       f.path, context);
  }
  for (const SourceFile& f : before.files) {
    if (!after.Find(f.path)) out += UnifiedDiff(f.content, "", f.path, context);
  }
  return out;
}

}  // namespace crucible
