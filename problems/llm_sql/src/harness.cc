#include "problems/llm_sql/src/harness.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <filesystem>

#include "core/rng.h"

namespace crucible::llmsql {
namespace {

namespace fs = std::filesystem;

std::string_view NextLine(std::string_view& in) {
  const size_t nl = in.find('\n');
  const std::string_view line = in.substr(0, nl);
  in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  return line;
}

// "i0 i1 ..." as integers (any count; ValidateOrder checks them).
bool ParseIndices(std::string_view line, std::vector<int32_t>& out) {
  out.clear();
  const char* p = line.data();
  const char* end = p + line.size();
  while (p < end) {
    int32_t v = 0;
    const auto [next, ec] = std::from_chars(p, end, v);
    if (ec != std::errc() || next == p) return false;
    out.push_back(v);
    p = next;
    if (p < end) {
      if (*p != ' ') return false;
      ++p;
    }
  }
  return true;
}

// The hit rate of the fields in descending column-score order (GGR's
// fallback): a reference point shown in the feedback.
double ColumnScoreRate(const Table& t) {
  std::vector<std::pair<double, int32_t>> s;
  for (int32_t c = 0; c < t.num_fields(); ++c) {
    s.emplace_back(-ColumnScore(t.rows, static_cast<size_t>(c)), c);
  }
  std::stable_sort(s.begin(), s.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<int32_t> by_score;
  for (const auto& [_, c] : s) by_score.push_back(c);
  return Score(t, Order(t.rows.size(), by_score)).rate();
}

}  // namespace

std::string EncodeInput(const std::vector<Table>& tables, uint64_t seed) {
  std::string in = fmt::format("{}\n", tables.size());
  for (size_t k = 0; k < tables.size(); ++k) {
    const Table& t = tables[k];
    in += fmt::format("{} {} {} {}\n", t.name, t.num_rows(), t.num_fields(), DeriveSeed(seed, k));
    for (const std::string& c : t.columns) in += c + "\n";
    for (const auto& row : t.rows) {
      for (size_t c = 0; c < row.size(); ++c) {
        if (c) in += '\x1f';
        in += row[c];
      }
      in += '\x1e';
    }
  }
  return in;
}

HarnessReport ScoreOutput(const std::vector<Table>& tables, const RunOutput& run) {
  std::string_view out = run.stdout_text;
  HarnessReport report;
  double hit_sum = 0, runtime_sum = 0;
  std::string feedback;
  std::string csv = "table,rows,fields,hit_rate_pct,column_score_order_pct,runtime_s\n";
  std::vector<int32_t> indices;
  for (const Table& t : tables) {
    const std::string_view head = NextLine(out);
    if (head.starts_with("E ")) {
      return FailureReport("runtime_error", fmt::format("{}: {}", t.name, head.substr(2)));
    }
    size_t rows = 0, k = 0;
    double seconds = 0;
    if (!head.starts_with("O ") ||
        std::sscanf(std::string(head).c_str(), "O %zu %zu %lf", &rows, &k, &seconds) != 3) {
      return FailureReport(
          "invalid", fmt::format("{}: no order from the candidate ({})", t.name, run.Describe()));
    }
    if (rows != t.rows.size()) {
      return FailureReport(
          "invalid", fmt::format("{}: expected an order for each of the {} rows, got {}", t.name,
                                 t.rows.size(), rows));
    }
    Order order(rows);
    for (size_t r = 0; r < rows; ++r) {
      if (!ParseIndices(NextLine(out), indices)) {
        return FailureReport("invalid", fmt::format("{}: row {}: malformed indices", t.name, r));
      }
      order[r] = indices;
    }
    if (const std::string e = ValidateOrder(t, order); !e.empty()) {
      return FailureReport("invalid", fmt::format("{}: {}", t.name, e));
    }
    const double rate = 100 * Score(t, order).rate();
    const double baseline = 100 * ColumnScoreRate(t);
    // Timed inside the candidate's process: never more than the process ran.
    seconds = std::clamp(seconds, 0.0, run.wall_seconds);
    hit_sum += rate;
    runtime_sum += seconds;
    report.metrics["hit_rate." + t.name] = rate;
    report.metrics["runtime_s." + t.name] = seconds;
    feedback += fmt::format(
        "{} ({} rows, {} fields): hit rate {:.3f}% (fields by column score: {:.3f}%), Reorder took "
        "{:.3f} s\n",
        t.name, t.num_rows(), t.num_fields(), rate, baseline, seconds);
    csv += fmt::format("{},{},{},{:.6f},{:.6f},{:.6f}\n", t.name, t.num_rows(), t.num_fields(),
                       rate, baseline, seconds);
  }
  if (out.find_first_not_of(" \n") != std::string_view::npos) {
    return FailureReport("invalid", "the driver wrote more orders than there are tables");
  }
  const double n = static_cast<double>(tables.size());
  const double hit = hit_sum / n, runtime = runtime_sum / n;
  report.metrics["hit_rate"] = hit;
  report.metrics["runtime_s"] = runtime;
  report.metrics["adrs_combined"] =
      0.95 * hit / 100 + 0.05 * (kRuntimeBudgetSeconds - std::min(kRuntimeBudgetSeconds, runtime)) /
                             kRuntimeBudgetSeconds;
  report.score = hit;
  report.feedback = fmt::format(
                        "mean prefix hit rate {:.3f}% over {} tables; mean Reorder time {:.3f} s "
                        "(the runtime is reported, not scored)\n",
                        hit, tables.size(), runtime) +
                    feedback;
  report.artifacts["per_table.csv"] = csv;
  return report;
}

namespace {

CandidateApi Api() {
  return CandidateApi{kHeaderName,
                      HeaderSource(),
                      DriverSource(),
                      kCandidateFile,
                      {"algorithm", "cmath", "cstdint", "map", "numeric", "random", "string",
                       "string_view", "tuple", "unordered_map", "unordered_set", "vector"}};
}

}  // namespace

CompileSpec LlmSqlCompileSpec(std::string candidate_source, std::string cache_dir,
                              std::string work_dir) {
  const CandidateApi api = Api();
  return MakeCompileSpec(api, std::move(candidate_source), std::move(cache_dir),
                         std::move(work_dir));
}

HarnessReport EvaluateCandidate(const std::string& source, const std::vector<Table>& tables,
                                const EvaluateOptions& options) {
  return CompileAndRun(LlmSqlCompileSpec(source, options.cache_dir, options.work_dir),
                       EncodeInput(tables, options.seed), options.limits,
                       [&](const RunOutput& run) { return ScoreOutput(tables, run); });
}

namespace {

class LlmSqlProblem final : public Problem {
 public:
  std::string_view name() const override { return "llm_sql"; }
  std::string_view description() const override {
    return "per-row field reordering for prefix-cache reuse (ADRS LLM-SQL); "
           "candidate: Reorder() in C++; prefix hit rate on beer.csv + 2 synthetic "
           "tables / 3 hidden synthetic tables";
  }
  std::string_view directory() const override { return "llm_sql"; }
  CandidateApi candidate_api() const override { return Api(); }
  StatusOr<HarnessReport> Evaluate(const HarnessEnv& env,
                                   const std::string& source) const override {
    StatusOr<std::vector<Table>> tables = LoadSplit(env.split, env.problem_dir);
    if (!tables.ok()) return tables.status();
    EvaluateOptions options;
    options.seed = env.seed;
    options.cache_dir = env.cache_dir;
    options.limits.timeout_seconds = 60;
    options.limits.memory_bytes = 2ull << 30;
    return EvaluateCandidate(source, *tables, options);
  }
  // problems/llm_sql/README.md has them with their sources.
  std::vector<ReferenceValue> reference_values() const override {
    return {
        {"initial.cpp", "train", "hit_rate.beer", 70.735, 5e-4, "spec: 70.74 (GGR)"},
    };
  }
};

}  // namespace

std::unique_ptr<Problem> MakeProblem() { return std::make_unique<LlmSqlProblem>(); }

}  // namespace crucible::llmsql
