#include "problems/llm_sql/src/data.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <unordered_map>
#include <unordered_set>

#include "core/rng.h"
#include "problems/harness/compiled_candidate.h"

namespace crucible::llmsql {
namespace {

namespace fs = std::filesystem;

}  // namespace

StatusOr<RawTable> ParseCsv(std::string_view text) {
  RawTable t;
  std::vector<std::string> row;
  std::string field;
  size_t i = 0, line = 1;
  bool any = false;
  auto end_row = [&]() -> Status {
    row.push_back(std::move(field));
    field.clear();
    if (t.header.empty()) {
      t.header = std::move(row);
    } else if (row.size() != t.header.size()) {
      return InvalidArgumentError(fmt::format("line {}: {} fields, the header has {}", line,
                                              row.size(), t.header.size()));
    } else {
      t.rows.push_back(std::move(row));
    }
    row.clear();
    any = false;
    ++line;
    return Status::Ok();
  };
  while (i < text.size()) {
    const char c = text[i];
    if (c == '"' && field.empty() && !any) {
      any = true;
      ++i;
      for (;;) {
        if (i >= text.size()) return InvalidArgumentError(fmt::format("line {}: unterminated quote", line));
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        if (text[i] == '\n') ++line;
        field += text[i++];
      }
      if (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
        return InvalidArgumentError(fmt::format("line {}: text after a closing quote", line));
      }
      continue;
    }
    if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
      any = false;
      ++i;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      ++i;
      RETURN_IF_ERROR(end_row());
    } else {
      if (c == '\x1e' || c == '\x1f') {
        return InvalidArgumentError(fmt::format("line {}: control byte 0x1e/0x1f in a field", line));
      }
      field += c;
      any = true;
      ++i;
    }
  }
  if (any || !field.empty() || !row.empty()) RETURN_IF_ERROR(end_row());
  if (t.header.empty()) return InvalidArgumentError("empty CSV");
  return t;
}

double ColumnScore(const std::vector<std::vector<std::string>>& rows, size_t column) {
  if (rows.empty()) return 0;
  std::unordered_set<std::string_view> distinct;
  double len = 0;
  for (const auto& r : rows) {
    distinct.insert(r[column]);
    len += static_cast<double>(r[column].size());
  }
  const double n = static_cast<double>(rows.size());
  if (distinct.size() == rows.size()) return 0;
  const double mean = len / n;
  return mean * mean * (n / static_cast<double>(distinct.size()) - 1);
}

StatusOr<Table> MergeColumns(const RawTable& raw, const std::vector<std::vector<std::string>>& merges,
                             std::string name) {
  const size_t width = raw.header.size();
  std::vector<int> group_of(width, -1);
  std::vector<std::vector<size_t>> groups;
  for (const auto& g : merges) {
    std::vector<size_t> members;
    for (const std::string& col : g) {
      const auto it = std::find(raw.header.begin(), raw.header.end(), col);
      if (it == raw.header.end()) return InvalidArgumentError("merge: unknown column '" + col + "'");
      const size_t c = static_cast<size_t>(it - raw.header.begin());
      if (group_of[c] >= 0) return InvalidArgumentError("merge: column '" + col + "' listed twice");
      group_of[c] = static_cast<int>(groups.size());
      members.push_back(c);
    }
    if (members.size() < 2) return InvalidArgumentError("merge: a group needs two columns");
    // GGR order: descending column score, stable.
    std::vector<double> score(width, 0);
    for (size_t c : members) score[c] = ColumnScore(raw.rows, c);
    std::stable_sort(members.begin(), members.end(),
                     [&](size_t a, size_t b) { return score[a] > score[b]; });
    groups.push_back(std::move(members));
  }
  // Field layout: each plain column, or a group at its first listed member.
  std::vector<std::vector<size_t>> fields;
  std::vector<char> placed(groups.size(), 0);
  for (size_t c = 0; c < width; ++c) {
    if (group_of[c] < 0) {
      fields.push_back({c});
    } else if (!placed[static_cast<size_t>(group_of[c])]) {
      // A group goes where its first *listed* member is: find the smallest
      // listed position... listed order is merges[g]; use its first name.
      const auto& g = merges[static_cast<size_t>(group_of[c])];
      if (raw.header[c] != g.front()) continue;
      placed[static_cast<size_t>(group_of[c])] = 1;
      fields.push_back(groups[static_cast<size_t>(group_of[c])]);
    }
  }
  Table t;
  t.name = std::move(name);
  for (const auto& f : fields) {
    std::string n;
    for (size_t c : f) n += (n.empty() ? "" : "+") + raw.header[c];
    t.columns.push_back(std::move(n));
  }
  t.rows.reserve(raw.rows.size());
  for (const auto& r : raw.rows) {
    std::vector<std::string> out;
    out.reserve(fields.size());
    for (const auto& f : fields) {
      std::string s;
      for (size_t c : f) s += r[c];
      out.push_back(std::move(s));
    }
    t.rows.push_back(std::move(out));
  }
  return t;
}

namespace {

// Zipf(s) over ranks 0..n-1 by inverse CDF on a cumulative table.
class Zipf {
 public:
  Zipf(size_t n, double s) : cdf_(n) {
    double acc = 0;
    for (size_t k = 0; k < n; ++k) {
      acc += 1.0 / std::pow(static_cast<double>(k + 1), s);
      cdf_[k] = acc;
    }
  }
  size_t Draw(Rng& rng) const {
    const double u = rng.UniformDouble() * cdf_.back();
    const size_t k = static_cast<size_t>(std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin());
    return std::min(k, cdf_.size() - 1);
  }

 private:
  std::vector<double> cdf_;
};

// `n` distinct strings of lengths in [lo, hi] over `alphabet`.
std::vector<std::string> Vocabulary(Rng& rng, size_t n, int lo, int hi, std::string_view alphabet) {
  std::vector<std::string> out;
  std::unordered_set<std::string> seen;
  size_t attempts = 0;
  while (out.size() < n) {
    const int len = static_cast<int>(rng.UniformInt(lo, hi)) + (attempts++ > 20 * n ? 4 : 0);
    std::string s;
    for (int i = 0; i < len; ++i) s += alphabet[rng.Uniform(alphabet.size())];
    if (seen.insert(s).second) out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

Table GenerateTable(uint64_t seed, std::string name, int32_t rows) {
  Rng rng(seed);
  const size_t n = rows > 0 ? static_cast<size_t>(rows)
                            : static_cast<size_t>(rng.UniformInt(5000, 50000));
  const size_t width = static_cast<size_t>(rng.UniformInt(6, 12));
  static constexpr std::string_view kAlphabets[] = {"abcdefghij ", "0123456789", "ABCDEFGH/-. "};
  RawTable raw;
  raw.rows.assign(n, std::vector<std::string>(width));
  // Columns 0 (id) -> 1 (name) and 2 (subcategory) -> 3 (category) are the
  // planted dependencies; the others are independent.
  for (size_t c = 0; c < width; ++c) raw.header.push_back(fmt::format("c{}", c));
  raw.header[0] = "id";
  raw.header[1] = "name";
  raw.header[2] = "subcategory";
  raw.header[3] = "category";
  auto column = [&](size_t c, size_t card, double s, int lo, int hi, std::string_view alphabet) {
    const std::vector<std::string> vocab = Vocabulary(rng, card, lo, hi, alphabet);
    const Zipf zipf(card, s);
    std::vector<size_t> ranks(n);
    for (size_t r = 0; r < n; ++r) {
      ranks[r] = zipf.Draw(rng);
      raw.rows[r][c] = vocab[ranks[r]];
    }
    return ranks;
  };
  auto log_uniform_card = [&](size_t lo, size_t hi) {
    const double x = std::log(static_cast<double>(lo)) +
                     rng.UniformDouble() * (std::log(static_cast<double>(hi)) - std::log(static_cast<double>(lo)));
    return std::max<size_t>(2, static_cast<size_t>(std::exp(x)));
  };
  auto zipf_s = [&] { return 0.8 + 0.7 * rng.UniformDouble(); };
  auto lengths = [&](int& lo, int& hi) {
    hi = static_cast<int>(rng.UniformInt(1, 60));
    lo = std::max(1, hi / 2);
  };
  // id -> name: ids are short digits, names long words; one name per id.
  {
    const size_t card = log_uniform_card(n / 50 + 2, n / 4 + 3);
    const std::vector<size_t> ids = column(0, card, zipf_s(), 3, 6, kAlphabets[1]);
    const std::vector<std::string> names = Vocabulary(rng, card, 10, 40, kAlphabets[0]);
    for (size_t r = 0; r < n; ++r) raw.rows[r][1] = names[ids[r]];
  }
  // subcategory -> category: each subcategory belongs to one of few categories.
  {
    const size_t card = log_uniform_card(8, 400);
    int lo = 0, hi = 0;
    lengths(lo, hi);
    const std::vector<size_t> sub = column(2, card, zipf_s(), lo, hi, kAlphabets[2]);
    const size_t cats = std::max<size_t>(2, card / 8);
    const std::vector<std::string> cat_names = Vocabulary(rng, cats, 4, 16, kAlphabets[0]);
    std::vector<size_t> cat_of(card);
    for (size_t k = 0; k < card; ++k) cat_of[k] = rng.Uniform(cats);
    for (size_t r = 0; r < n; ++r) raw.rows[r][3] = cat_names[cat_of[sub[r]]];
  }
  for (size_t c = 4; c < width; ++c) {
    const size_t card = log_uniform_card(2, n);
    int lo = 0, hi = 0;
    lengths(lo, hi);
    column(c, card, zipf_s(), lo, hi, kAlphabets[rng.Uniform(3)]);
  }
  // Shuffle the column positions so the planted pairs are not always first.
  std::vector<size_t> perm(width);
  for (size_t c = 0; c < width; ++c) perm[c] = c;
  for (size_t k = width; k > 1; --k) std::swap(perm[k - 1], perm[rng.Uniform(k)]);
  RawTable shuffled;
  for (size_t c : perm) shuffled.header.push_back(raw.header[c]);
  shuffled.rows.reserve(n);
  for (auto& r : raw.rows) {
    std::vector<std::string> out;
    out.reserve(width);
    for (size_t c : perm) out.push_back(std::move(r[c]));
    shuffled.rows.push_back(std::move(out));
  }
  StatusOr<Table> t = MergeColumns(shuffled, {{"id", "name"}}, std::move(name));
  return *std::move(t);  // the names exist by construction
}

StatusOr<std::vector<Table>> LoadSplit(const std::string& split, const std::string& problem_dir) {
  std::vector<Table> out;
  if (split == "train") {
    if (problem_dir.empty()) return FailedPreconditionError("CRUCIBLE_PROBLEM_DIR is not set");
    const std::string path = (fs::path(problem_dir) / "data" / "beer.csv").string();
    ASSIGN_OR_RETURN(std::string text, ReadFile(path));
    StatusOr<RawTable> raw = ParseCsv(text);
    if (!raw.ok()) return InvalidArgumentError(path + ": " + std::string(raw.status().message()));
    ASSIGN_OR_RETURN(Table beer, MergeColumns(*raw, {{"beer/beerId", "beer/name"}}, "beer"));
    out.push_back(std::move(beer));
    for (uint64_t seed : kTrainSeeds) out.push_back(GenerateTable(seed, fmt::format("synthetic_{}", seed)));
    return out;
  }
  if (split != "heldout") return InvalidArgumentError("unknown split '" + split + "'");
  for (uint64_t seed : kHeldoutSeeds) {
    out.push_back(GenerateTable(seed, fmt::format("heldout_{}", seed)));
  }
  return out;
}

}  // namespace crucible::llmsql
