#include "problems/bin_packing/src/harness.h"

#include <charconv>
#include <chrono>
#include <filesystem>

#include "fmt/format.h"
#include "problems/bin_packing/src/candidate_api.h"

namespace crucible::bin_packing {
namespace {

namespace fs = std::filesystem;

// Parses the driver's line for one instance: "A b_1 ... b_n".
StatusOr<std::vector<int>> ParseAnswer(std::string_view line, const Instance& instance) {
  std::vector<int> bins;
  bins.reserve(instance.items.size());
  const char* p = line.data() + 1;
  const char* end = line.data() + line.size();
  while (p < end) {
    if (*p != ' ') break;
    ++p;
    int v = 0;
    const auto [next, ec] = std::from_chars(p, end, v);
    if (ec != std::errc() || next == p) break;
    bins.push_back(v);
    p = next;
  }
  if (p != end) {
    return InvalidArgumentError(
        fmt::format("{}: malformed answer after {} bin indices", instance.name, bins.size()));
  }
  return bins;
}

struct DatasetResult {
  std::vector<int64_t> bins;
  std::vector<int64_t> lower_bounds;
};

// Checks every answer and fills the report's metrics.
HarnessReport Score(const std::vector<Dataset>& datasets, const RunOutput& run) {
  std::string_view out = run.stdout_text;
  std::vector<DatasetResult> results(datasets.size());
  std::string csv = "dataset,instance,items,bins,lower_bound,excess_pct\n";
  for (size_t d = 0; d < datasets.size(); ++d) {
    for (const Instance& inst : datasets[d].instances) {
      const size_t nl = out.find('\n');
      const std::string_view line = out.substr(0, nl);
      out = nl == std::string_view::npos ? std::string_view() : out.substr(nl + 1);
      if (line.starts_with("E ")) {
        return FailureReport("invalid", fmt::format("{}: {}", inst.name, line.substr(2)));
      }
      if (!line.starts_with("A")) {
        return FailureReport("invalid", fmt::format("{}: no answer from the candidate ({})",
                                                    inst.name, run.Describe()));
      }
      StatusOr<std::vector<int>> answer = ParseAnswer(line, inst);
      if (!answer.ok()) return FailureReport("invalid", answer.status().message());
      StatusOr<int64_t> used = CheckPacking(inst, *answer);
      if (!used.ok()) return FailureReport("invalid", used.status().message());
      const int64_t lb = LowerBound(inst);
      results[d].bins.push_back(*used);
      results[d].lower_bounds.push_back(lb);
      csv +=
          fmt::format("{},{},{},{},{},{:.4f}\n", datasets[d].name, inst.name, inst.items.size(),
                      *used, lb, 100.0 * static_cast<double>(*used - lb) / static_cast<double>(lb));
    }
  }
  if (out.find_first_not_of(" \n") != std::string_view::npos) {
    return FailureReport("invalid", "the candidate wrote more answers than there are instances");
  }

  HarnessReport report;
  double excess_sum = 0;
  std::string summary;
  for (size_t d = 0; d < datasets.size(); ++d) {
    const Dataset& ds = datasets[d];
    const DatasetResult& r = results[d];
    const double excess = ExcessPercent(r.bins, r.lower_bounds);
    excess_sum += excess;
    double mean_bins = 0, mean_lb = 0;
    for (size_t i = 0; i < r.bins.size(); ++i) {
      mean_bins += static_cast<double>(r.bins[i]) / static_cast<double>(r.bins.size());
      mean_lb += static_cast<double>(r.lower_bounds[i]) / static_cast<double>(r.bins.size());
      report.metrics["bins." + ds.instances[i].name] = static_cast<double>(r.bins[i]);
    }
    report.metrics["excess_" + ds.name + "_pct"] = excess;
    report.metrics["mean_bins_" + ds.name] = mean_bins;
    report.metrics["mean_lb_" + ds.name] = mean_lb;
    summary += fmt::format("{}: {:.2f}% excess over the lower bound (mean {:.2f} bins vs {:.1f})\n",
                           ds.name, excess, mean_bins, mean_lb);
    std::string worst;
    double worst_excess = -1;
    for (size_t i = 0; i < r.bins.size(); ++i) {
      const double e = 100.0 * static_cast<double>(r.bins[i] - r.lower_bounds[i]) /
                       static_cast<double>(r.lower_bounds[i]);
      if (e > worst_excess) {
        worst_excess = e;
        worst = fmt::format("  worst instance {}: {} bins, lower bound {} ({:.2f}%)\n",
                            ds.instances[i].name, r.bins[i], r.lower_bounds[i], e);
      }
    }
    summary += worst;
  }
  const double excess = excess_sum / static_cast<double>(datasets.size());
  report.metrics["excess_pct"] = excess;
  report.score = -excess;
  report.feedback = summary;
  report.artifacts["per_instance.csv"] = csv;
  return report;
}

std::string DataDir(const std::string& problem_dir) {
  return (fs::path(problem_dir) / "data").string();
}

}  // namespace

StatusOr<std::vector<Dataset>> LoadSplit(const std::string& split, const std::string& problem_dir) {
  std::vector<Dataset> out;
  if (split == "train") {
    out.push_back(GenerateOrLike(kTrainSeed, 10, 500));
    out.push_back(GenerateWeibull(kTrainSeed + 1, 5, 2000));
    return out;
  }
  if (split != "heldout") return InvalidArgumentError("unknown split '" + split + "'");
  if (problem_dir.empty()) return FailedPreconditionError("CRUCIBLE_PROBLEM_DIR is not set");
  for (const char* name : {"or3", "weibull_5k"}) {
    ASSIGN_OR_RETURN(
        std::string text,
        ReadFile((fs::path(DataDir(problem_dir)) / (std::string(name) + ".txt")).string()));
    ASSIGN_OR_RETURN(Dataset d, ParseDataset(text, name));
    out.push_back(std::move(d));
  }
  return out;
}

namespace {

// What candidates commonly include; precompiled once per cache.
CandidateApi Api() {
  return CandidateApi{
      kHeaderName,
      HeaderSource(),
      DriverSource(),
      kCandidateFile,
      {"algorithm", "array", "cmath", "cstddef", "cstdint", "limits", "numeric", "span", "vector"}};
}

}  // namespace

CompileSpec BinPackingCompileSpec(std::string candidate_source, std::string cache_dir,
                                  std::string work_dir) {
  CompileSpec spec = MakeCompileSpec(Api(), std::move(candidate_source), std::move(cache_dir),
                                     std::move(work_dir));
  spec.flags = {"-std=c++20", "-O3", "-static"};
  return spec;
}

std::string EncodeInput(const std::vector<Dataset>& datasets, BinArray array) {
  size_t count = 0;
  for (const Dataset& d : datasets) count += d.instances.size();
  std::string in = fmt::format("{} {}\n", array == BinArray::kFast ? 1 : 0, count);
  for (const Dataset& d : datasets) {
    for (const Instance& inst : d.instances) {
      in += fmt::format("{} {}\n", inst.capacity, inst.items.size());
      for (int s : inst.items) {
        in += std::to_string(s);
        in += ' ';
      }
      in += '\n';
    }
  }
  return in;
}

HarnessReport EvaluateCandidate(const std::string& source, const std::vector<Dataset>& datasets,
                                const EvaluateOptions& options) {
  return CompileAndRun(BinPackingCompileSpec(source, options.cache_dir, options.work_dir),
                       EncodeInput(datasets, options.array), options.limits,
                       [&](const RunOutput& run) { return Score(datasets, run); });
}

namespace {

// bin_packing (the notebook's bin array) and bin_packing_fast.
class BinPackingProblem final : public Problem {
 public:
  explicit BinPackingProblem(BinArray array) : array_(array) {}

  std::string_view name() const override {
    return array_ == BinArray::kFast ? "bin_packing_fast" : "bin_packing";
  }
  std::string_view description() const override {
    return array_ == BinArray::kFast
               ? "bin_packing with the fast bin array (used bins + one empty); scores not "
                 "comparable to published ones"
               : "online 1-D bin packing (FunSearch); candidate: priority() in C++; excess over "
                 "ceil(sum/C) on generated train / OR3 + Weibull 5k held-out";
  }
  std::string_view directory() const override { return "bin_packing"; }
  CandidateApi candidate_api() const override { return Api(); }
  StatusOr<HarnessReport> Evaluate(const HarnessEnv& env,
                                   const std::string& source) const override {
    StatusOr<std::vector<Dataset>> datasets = LoadSplit(env.split, env.problem_dir);
    if (!datasets.ok()) return datasets.status();
    EvaluateOptions options;
    options.array = array_;
    options.cache_dir = env.cache_dir;
    options.limits.timeout_seconds = env.split == "heldout" ? 100 : 50;
    return EvaluateCandidate(source, *datasets, options);
  }
  // FunSearch's Table 1 (best fit; initial.cpp is examples/best_fit.cpp).
  // The fast array changes which bins the candidate sees: no published values.
  std::vector<ReferenceValue> reference_values() const override {
    if (array_ == BinArray::kFast) return {};
    return {
        {"initial.cpp", "heldout", "excess_or3_pct", 5.37, 0.005, "FunSearch Table 1"},
        {"initial.cpp", "heldout", "excess_weibull_5k_pct", 3.98, 0.005, "FunSearch Table 1"},
    };
  }

 private:
  const BinArray array_;
};

}  // namespace

std::unique_ptr<Problem> MakeProblem(BinArray array) {
  return std::make_unique<BinPackingProblem>(array);
}

}  // namespace crucible::bin_packing
