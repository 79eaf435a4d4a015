#include "problems/eplb/src/harness.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <filesystem>

namespace crucible::eplb {
namespace {

namespace fs = std::filesystem;

struct Answer {
  int64_t wall_ns = 0;
  int64_t cpu_ns = 0;
  std::vector<int64_t> phy2log;
};

// Parses "M wall_ns cpu_ns n v_1 ... v_n" strictly.
StatusOr<Answer> ParseAnswer(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  if (text.find('\n') != std::string_view::npos) {
    return InvalidArgumentError("the driver wrote more than one answer");
  }
  const std::optional<std::vector<int64_t>> parsed = ParseTaggedIntegers(text);
  if (!parsed || parsed->size() < 3 || (*parsed)[2] != static_cast<int64_t>(parsed->size()) - 3) {
    return InvalidArgumentError("malformed mapping from the driver");
  }
  const std::vector<int64_t>& values = *parsed;
  Answer a;
  a.wall_ns = values[0];
  a.cpu_ns = values[1];
  a.phy2log.assign(values.begin() + 3, values.end());
  return a;
}

std::string EncodeWindow(const Problem& s, const std::vector<int64_t>& load) {
  std::string in =
      fmt::format("{} {} {} {} {} {}\n", s.layers, s.experts, s.groups, s.nodes, s.gpus, s.slots);
  in.reserve(load.size() * 8);
  for (int32_t l = 0; l < s.layers; ++l) {
    for (int32_t e = 0; e < s.experts; ++e) {
      fmt::format_to(std::back_inserter(in), "{}{}", e ? " " : "",
                     load[static_cast<size_t>(l) * s.experts + e]);
    }
    in += '\n';
  }
  return in;
}

NamedTrace MakeTrace(std::string name, const TraceOptions& o) {
  StatusOr<Trace> t = GenerateTrace(o);
  // The options are constants of this file and valid; a failure is a bug.
  if (!t.ok()) std::abort();
  return NamedTrace{std::move(name), o.shape, *std::move(t)};
}

}  // namespace

StatusOr<std::vector<NamedTrace>> LoadSplit(const std::string& split) {
  std::vector<NamedTrace> out;
  if (split == "train") {
    TraceOptions o;
    o.seed = 1;
    out.push_back(MakeTrace("train_s1", o));
    return out;
  }
  if (split != "heldout") return InvalidArgumentError("unknown split '" + split + "'");
  for (uint64_t seed : {20251124ull, 20251125ull}) {
    TraceOptions o;
    o.seed = seed;
    o.sigma = 1.4;
    o.rho = 0.9;
    o.spike_prob = 0.1;
    o.poisson = true;
    out.push_back(MakeTrace(fmt::format("heldout_s{}", seed), o));
  }
  return out;
}

namespace {

CandidateApi Api() {
  return CandidateApi{kHeaderName, HeaderSource(), DriverSource(), kCandidateFile,
                      CommonPrecompiledHeaders()};
}

}  // namespace

CompileSpec EplbCompileSpec(std::string candidate_source, std::string cache_dir,
                            std::string work_dir) {
  const CandidateApi api = Api();
  return MakeCompileSpec(api, std::move(candidate_source), std::move(cache_dir),
                         std::move(work_dir));
}

HarnessReport EvaluateCandidate(const std::string& source, const std::vector<NamedTrace>& traces,
                                const EvaluateOptions& options) {
  StatusOr<CompileResult> compiled =
      CompileCandidate(EplbCompileSpec(source, options.cache_dir, options.work_dir));
  if (!compiled.ok()) {
    return FailureReport("runtime_error",
                         "the harness could not compile: " + compiled.status().ToString());
  }
  if (!compiled->ok) return FailureReport("compile_error", compiled->errors);
  HarnessReport report;
  double run_seconds = 0, ms_sum = 0, ms_max = 0, cpu_ms_sum = 0, gpu_sum = 0, exp_sum = 0;
  int calls = 0;
  std::string csv = "trace,fit_window,scored_window,b_gpu,b_exp,b_gpu_same_window,algo_ms\n";
  std::string feedback;
  struct Worst {
    double b = 2;
    std::string where;
  };
  Worst worst;
  for (const NamedTrace& nt : traces) {
    double trace_gpu = 0, trace_exp = 0, trace_same = 0;
    const size_t pairs = nt.trace.size() - 1;
    for (size_t i = 0; i < pairs; ++i) {
      const std::string where = fmt::format("{} window {}", nt.name, i);
      const RunOutput run =
          RunCandidate(compiled->binary_path, EncodeWindow(nt.shape, nt.trace[i]), options.limits);
      run_seconds += run.wall_seconds;
      if (run.status == RunStatus::kStartFailed) {
        return FailureReport("runtime_error", "the candidate " + run.Describe());
      }
      if (run.status != RunStatus::kExited || run.exit_code != 0) {
        HarnessReport failed = RunFailureReport(run);
        failed.feedback = where + ": " + failed.feedback;
        return failed;
      }
      if (std::string_view(run.stdout_text).starts_with("E ")) {
        return FailureReport(
            "runtime_error",
            fmt::format("{}: {}", where, std::string_view(run.stdout_text).substr(2)));
      }
      if (!std::string_view(run.stdout_text).starts_with("M ")) {
        return FailureReport("invalid", fmt::format("{}: no mapping from the candidate ({})", where,
                                                    run.Describe()));
      }
      StatusOr<Answer> answer = ParseAnswer(run.stdout_text);
      if (!answer.ok()) {
        return FailureReport("invalid", fmt::format("{}: {}", where, answer.status().message()));
      }
      if (Status s = ValidateMapping(nt.shape, answer->phy2log); !s.ok()) {
        return FailureReport("invalid", fmt::format("{}: {}", where, s.message()));
      }
      const std::vector<int32_t> mapping(answer->phy2log.begin(), answer->phy2log.end());
      const Balancedness next = ComputeBalancedness(nt.shape, nt.trace[i + 1], mapping);
      const Balancedness same = ComputeBalancedness(nt.shape, nt.trace[i], mapping);
      const double ms = static_cast<double>(answer->wall_ns) / 1e6;
      ms_sum += ms;
      ms_max = std::max(ms_max, ms);
      cpu_ms_sum += static_cast<double>(answer->cpu_ns) / 1e6;
      ++calls;
      trace_gpu += next.gpu;
      trace_exp += next.expert;
      trace_same += same.gpu;
      gpu_sum += next.gpu;
      exp_sum += next.expert;
      if (next.gpu < worst.b) worst = {next.gpu, fmt::format("{} -> {}", where, i + 1)};
      csv += fmt::format("{},{},{},{:.6f},{:.6f},{:.6f},{:.3f}\n", nt.name, i, i + 1, next.gpu,
                         next.expert, same.gpu, ms);
    }
    const double n = static_cast<double>(pairs);
    report.metrics["b_gpu." + nt.name] = trace_gpu / n;
    report.metrics["b_exp." + nt.name] = trace_exp / n;
    feedback += fmt::format(
        "{}: B_gpu {:.4f} on the next window (B_gpu {:.4f} on the window it was fitted on), "
        "B_exp {:.4f}\n",
        nt.name, trace_gpu / n, trace_same / n, trace_exp / n);
  }
  const double mean_ms = ms_sum / calls;
  const double cpu_mean_ms = cpu_ms_sum / calls;
  report.metrics["compile_ms"] = compiled->seconds * 1000;
  report.metrics["run_ms"] = run_seconds * 1000;
  report.metrics["algo_ms_mean"] = mean_ms;
  report.metrics["algo_ms_max"] = ms_max;
  report.metrics["algo_cpu_ms_mean"] = cpu_ms_sum / calls;
  report.metrics["calls"] = calls;
  if (cpu_mean_ms > options.time_budget_ms) {
    HarnessReport over = FailureReport(
        "invalid", fmt::format("RebalanceExperts took {:.1f} ms CPU per call on average, over the "
                               "budget of {:.0f} ms",
                               cpu_mean_ms, options.time_budget_ms));
    over.metrics = report.metrics;
    return over;
  }
  report.score = gpu_sum / calls;
  report.metrics["b_gpu"] = gpu_sum / calls;
  report.metrics["b_exp"] = exp_sum / calls;
  report.feedback =
      fmt::format(
          "B_gpu {:.4f} (mean over {} fit-on-window-i, score-on-window-i+1 pairs; 1 "
          "= perfectly balanced GPUs), B_exp {:.4f}; {:.2f} ms CPU per call (budget "
          "{:.0f} ms; {:.2f} ms wall)\n",
          gpu_sum / calls, calls, exp_sum / calls, cpu_mean_ms, options.time_budget_ms, mean_ms) +
      feedback + fmt::format("hardest pair: {} (B_gpu {:.4f})\n", worst.where, worst.b);
  report.artifacts["per_window.csv"] = csv;
  return report;
}

namespace {

// crucible::Problem: eplb::Problem is the candidate's input (eplb.h).
class EplbProblem final : public crucible::Problem {
 public:
  std::string_view name() const override { return "eplb"; }
  std::string_view description() const override {
    return "MoE expert replication and placement (EPLB, ADRS); candidate: "
           "RebalanceExperts() in C++; GPU balancedness on the next window of seeded "
           "DeepSeek-V3-shaped traces";
  }
  std::string_view directory() const override { return "eplb"; }
  CandidateApi candidate_api() const override { return Api(); }
  StatusOr<HarnessReport> Evaluate(const HarnessEnv& env,
                                   const std::string& source) const override {
    StatusOr<std::vector<NamedTrace>> traces = LoadSplit(env.split);
    if (!traces.ok()) return traces.status();
    EvaluateOptions options;
    options.cache_dir = env.cache_dir;
    options.limits.timeout_seconds = 10;
    return EvaluateCandidate(source, *traces, options);
  }
  // problems/eplb/README.md has them with their sources.
  std::vector<ReferenceValue> reference_values() const override {
    return {
        {"initial.cpp", "train", "b_gpu", 0.6269, 5e-5, "measured at the port"},
        {"initial.cpp", "heldout", "b_gpu", 0.4982, 5e-5, "measured at the port"},
    };
  }
};

}  // namespace

std::unique_ptr<crucible::Problem> MakeProblem() { return std::make_unique<EplbProblem>(); }

}  // namespace crucible::eplb
