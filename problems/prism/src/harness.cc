#include "problems/prism/src/harness.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <map>

#include "problems/prism/src/cases.h"

namespace crucible::prism {
namespace {

namespace fs = std::filesystem;

// Parses "P n g_1 ... g_n" strictly.
StatusOr<std::vector<int64_t>> ParsePlacement(std::string_view line, const std::string& name) {
  std::optional<std::vector<int64_t>> values = ParseCountedIntegers(line);
  if (!values) {
    return InvalidArgumentError(fmt::format("{}: malformed placement from the driver", name));
  }
  return *std::move(values);
}

std::string Regime(const std::string& name) { return name.substr(0, name.find('_')); }

HarnessReport Score(const std::vector<NamedCase>& cases, const RunOutput& run) {
  std::string_view out = run.stdout_text;
  struct Row {
    std::string name;
    double kvpr, bound, lb;
  };
  std::vector<Row> rows;
  for (const NamedCase& nc : cases) {
    const size_t nl = out.find('\n');
    const std::string_view line = out.substr(0, nl);
    out = nl == std::string_view::npos ? std::string_view() : out.substr(nl + 1);
    if (line.starts_with("E ")) {
      return FailureReport("runtime_error", fmt::format("case {}: {}", nc.name, line.substr(2)));
    }
    if (!line.starts_with("P ")) {
      return FailureReport("invalid", fmt::format("case {}: no placement from the candidate ({})",
                                                  nc.name, run.Describe()));
    }
    StatusOr<std::vector<int64_t>> placement = ParsePlacement(line, nc.name);
    if (!placement.ok()) return FailureReport("invalid", placement.status().message());
    if (Status s = ValidatePlacement(nc.c, *placement); !s.ok()) {
      return FailureReport("invalid", fmt::format("case {} (G={}, {} models): {}", nc.name,
                                                  nc.c.gpus, nc.c.models.size(), s.message()));
    }
    const std::vector<int32_t> gpu_of(placement->begin(), placement->end());
    const double kvpr = MaxKvpr(nc.c, gpu_of);
    rows.push_back({nc.name, kvpr, KvprLowerBound(nc.c), LeaderboardScore(nc.c, kvpr)});
  }
  if (out.find_first_not_of(" \n") != std::string_view::npos) {
    return FailureReport("invalid", "the driver wrote more placements than there are cases");
  }
  HarnessReport report;
  double sum = 0, bound_sum = 0, lb_sum = 0;
  std::map<std::string, std::pair<double, int>> by_regime;
  std::string csv = "case,max_kvpr,lower_bound,gap_pct,lb_score\n";
  for (const Row& r : rows) {
    sum += r.kvpr;
    bound_sum += r.bound;
    lb_sum += r.lb;
    auto& [s, n] = by_regime[Regime(r.name)];
    s += r.kvpr;
    ++n;
    csv += fmt::format("{},{:.9g},{:.9g},{:.3f},{:.3f}\n", r.name, r.kvpr, r.bound,
                       100.0 * (r.kvpr / r.bound - 1), r.lb);
  }
  const double n = static_cast<double>(rows.size());
  const double mean = sum / n;
  report.score = 1.0 / mean;
  report.metrics["inv_mean_kvpr"] = 1.0 / mean;
  report.metrics["mean_max_kvpr"] = mean;
  report.metrics["adrs_combined"] = 1.0 / mean + 1.0;
  report.metrics["lb_score"] = lb_sum / n;
  report.metrics["bound_inv_mean"] = n / bound_sum;
  for (const auto& [regime, sn] : by_regime) {
    report.metrics["inv_mean_kvpr." + regime] = sn.second / sn.first;
  }
  // The hardest cases for the proposer: largest gap to the lower bound.
  std::vector<const Row*> order;
  for (const Row& r : rows) order.push_back(&r);
  std::stable_sort(order.begin(), order.end(), [](const Row* a, const Row* b) {
    return a->kvpr / a->bound > b->kvpr / b->bound;
  });
  report.feedback = fmt::format(
      "1/mean(max KVPR) = {:.4f} over {} cases (mean max KVPR {:.7f}); the lower bound allows at "
      "most {:.4f}; leaderboard score {:.2f}/100\n",
      1.0 / mean, rows.size(), mean, n / bound_sum, lb_sum / n);
  for (const auto& [regime, sn] : by_regime) {
    report.feedback += fmt::format("regime {}: {} cases, 1/mean {:.4f}\n", regime, sn.second,
                                   sn.second / sn.first);
  }
  report.feedback += "cases furthest above their lower bound:\n";
  for (size_t i = 0; i < std::min<size_t>(order.size(), 5); ++i) {
    const Row& r = *order[i];
    report.feedback += fmt::format("  {}: max KVPR {:.6f}, bound {:.6f} (+{:.1f}%)\n", r.name,
                                   r.kvpr, r.bound, 100.0 * (r.kvpr / r.bound - 1));
  }
  report.artifacts["per_case.csv"] = csv;
  return report;
}

std::string EncodeInput(const std::vector<NamedCase>& cases) {
  std::string in = fmt::format("{}\n", cases.size());
  for (const NamedCase& nc : cases) {
    in += fmt::format("{} {} {}\n", nc.c.gpus, nc.c.memory_gb, nc.c.models.size());
    for (const Model& m : nc.c.models) in += fmt::format("{} {} {}\n", m.size_gb, m.rate, m.slo);
  }
  return in;
}

void AddCases(std::vector<NamedCase>& out, const std::string& prefix, std::vector<Case> cases) {
  for (size_t i = 0; i < cases.size(); ++i) {
    out.push_back(NamedCase{fmt::format("{}_{:02}", prefix, i), std::move(cases[i])});
  }
}

}  // namespace

StatusOr<std::vector<NamedCase>> LoadSplit(const std::string& split) {
  std::vector<NamedCase> out;
  if (split == "train") {
    AddCases(out, fmt::format("std{}", kTrainSeed), GenerateStandardCases(kTrainSeed, kTrainCases));
    AddCases(out, fmt::format("std{}", kTrainStandardSeed),
             GenerateStandardCases(kTrainStandardSeed, kTrainStandardCases));
    AddCases(out, fmt::format("hard{}", kTrainHardSeed),
             GenerateHardCases(kTrainHardSeed, kTrainHardCases));
    return out;
  }
  if (split != "heldout") return InvalidArgumentError("unknown split '" + split + "'");
  AddCases(out, fmt::format("std{}", kHeldoutStandardSeed),
           GenerateStandardCases(kHeldoutStandardSeed, kHeldoutStandardCases));
  AddCases(out, fmt::format("hard{}", kHeldoutHardSeed),
           GenerateHardCases(kHeldoutHardSeed, kHeldoutHardCases));
  return out;
}

namespace {

CandidateApi Api() {
  return CandidateApi{kHeaderName, HeaderSource(), DriverSource(), kCandidateFile,
                      CommonPrecompiledHeaders()};
}

}  // namespace

CompileSpec PrismCompileSpec(std::string candidate_source, std::string cache_dir,
                             std::string work_dir) {
  const CandidateApi api = Api();
  return MakeCompileSpec(api, std::move(candidate_source), std::move(cache_dir),
                         std::move(work_dir));
}

HarnessReport EvaluateCandidate(const std::string& source, const std::vector<NamedCase>& cases,
                                const EvaluateOptions& options) {
  return CompileAndRun(PrismCompileSpec(source, options.cache_dir, options.work_dir),
                       EncodeInput(cases), options.limits,
                       [&](const RunOutput& run) { return Score(cases, run); });
}

namespace {

class PrismProblem final : public Problem {
 public:
  std::string_view name() const override { return "prism"; }
  std::string_view description() const override {
    return "GPU model placement (PRISM, ADRS); candidate: PlaceModels() in C++; 1 / "
           "mean max KVPR on the 50 published cases / hidden seeds + a harder regime";
  }
  std::string_view directory() const override { return "prism"; }
  CandidateApi candidate_api() const override { return Api(); }
  StatusOr<HarnessReport> Evaluate(const HarnessEnv& env,
                                   const std::string& source) const override {
    StatusOr<std::vector<NamedCase>> cases = LoadSplit(env.split);
    if (!cases.ok()) return cases.status();
    EvaluateOptions options;
    options.cache_dir = env.cache_dir;
    // The original gives 10 s per case in a thread; here the whole split
    // runs in one killable process.
    options.limits.timeout_seconds = 60;
    return EvaluateCandidate(source, *cases, options);
  }
  // problems/prism/README.md has them with their sources.
  std::vector<ReferenceValue> reference_values() const override {
    return {
        {"initial.cpp", "train", "inv_mean_kvpr.std42", 20.8916, 5e-5, "spec §6"},
        {"initial.cpp", "train", "inv_mean_kvpr", 7.8699, 5e-5, "measured (whole train split)"},
        {"initial.cpp", "heldout", "inv_mean_kvpr", 6.3057, 5e-5, "measured at the port"},
    };
  }
};

}  // namespace

std::unique_ptr<Problem> MakeProblem() { return std::make_unique<PrismProblem>(); }

}  // namespace crucible::prism
