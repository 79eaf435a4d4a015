#include "problems/txn_scheduling/src/harness.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <numeric>

#include "core/rng.h"
#include "problems/txn_scheduling/src/workloads.h"

namespace crucible::txn {
namespace {

namespace fs = std::filesystem;

// Parses "S n i_1 ... i_n" strictly.
StatusOr<std::vector<int64_t>> ParseSchedule(std::string_view line, const std::string& name) {
  std::optional<std::vector<int64_t>> values = ParseCountedIntegers(line);
  if (!values) {
    return InvalidArgumentError(fmt::format("{}: malformed schedule from the driver", name));
  }
  return *std::move(values);
}

int32_t SequentialMakespan(const Workload& w) {
  std::vector<int32_t> seq(static_cast<size_t>(w.num_txns()));
  std::iota(seq.begin(), seq.end(), 0);
  return Makespan(w, seq);
}

int32_t LongestTransaction(const Workload& w) {
  return *std::max_element(w.length.begin(), w.length.end());
}

HarnessReport Score(const std::vector<NamedWorkload>& workloads, const RunOutput& run) {
  std::string_view out = run.stdout_text;
  HarnessReport report;
  int64_t total = 0, total_sequential = 0;
  std::string feedback, csv = "workload,txns,makespan,sequential,longest_txn\n";
  for (const NamedWorkload& nw : workloads) {
    const size_t nl = out.find('\n');
    const std::string_view line = out.substr(0, nl);
    out = nl == std::string_view::npos ? std::string_view() : out.substr(nl + 1);
    if (line.starts_with("E ")) {
      return FailureReport("runtime_error", fmt::format("{}: {}", nw.name, line.substr(2)));
    }
    if (!line.starts_with("S ")) {
      return FailureReport("invalid", fmt::format("{}: no schedule from the candidate ({})",
                                                  nw.name, run.Describe()));
    }
    StatusOr<std::vector<int64_t>> schedule = ParseSchedule(line, nw.name);
    if (!schedule.ok()) return FailureReport("invalid", schedule.status().message());
    if (Status s = ValidateSchedule(nw.workload, *schedule); !s.ok()) {
      return FailureReport("invalid", fmt::format("{}: {}", nw.name, s.message()));
    }
    const std::vector<int32_t> order(schedule->begin(), schedule->end());
    const int32_t makespan = Makespan(nw.workload, order);
    const int32_t sequential = SequentialMakespan(nw.workload);
    const int32_t longest = LongestTransaction(nw.workload);
    total += makespan;
    total_sequential += sequential;
    report.metrics["makespan." + nw.name] = makespan;
    feedback += fmt::format(
        "{}: makespan {} (sequential order {}, longest transaction {} = a lower bound)\n", nw.name,
        makespan, sequential, longest);
    csv += fmt::format("{},{},{},{},{}\n", nw.name, nw.workload.num_txns(), makespan, sequential,
                       longest);
  }
  if (out.find_first_not_of(" \n") != std::string_view::npos) {
    return FailureReport("invalid", "the driver wrote more schedules than there are workloads");
  }
  report.metrics["total_makespan"] = static_cast<double>(total);
  report.metrics["sequential_total"] = static_cast<double>(total_sequential);
  report.score = -static_cast<double>(total);
  report.feedback =
      fmt::format("total makespan {} (sequential order: {})\n", total, total_sequential) + feedback;
  report.artifacts["per_workload.csv"] = csv;
  return report;
}

std::string EncodeInput(const std::vector<NamedWorkload>& workloads, uint64_t seed) {
  std::string in = fmt::format("{}\n", workloads.size());
  for (size_t k = 0; k < workloads.size(); ++k) {
    in += fmt::format("{} {}\n", DeriveSeed(seed, k), workloads[k].workload.num_txns());
    in += workloads[k].text;
    if (!workloads[k].text.ends_with('\n')) in += '\n';
  }
  return in;
}

}  // namespace

StatusOr<std::vector<NamedWorkload>> LoadSplit(const std::string& split,
                                               const std::string& problem_dir) {
  std::vector<NamedWorkload> out;
  auto add = [&](std::string name, std::string text) -> Status {
    ASSIGN_OR_RETURN(Workload w, ParseWorkloadText(text));
    out.push_back(NamedWorkload{std::move(name), std::move(text), std::move(w)});
    return Status::Ok();
  };
  if (split == "train") {
    if (problem_dir.empty()) return FailedPreconditionError("CRUCIBLE_PROBLEM_DIR is not set");
    for (int k = 1; k <= 3; ++k) {
      const std::string name = fmt::format("workload_{}", k);
      ASSIGN_OR_RETURN(std::string text,
                       ReadFile((fs::path(problem_dir) / "data" / (name + ".txt")).string()));
      RETURN_IF_ERROR(add(name, std::move(text)));
    }
    return out;
  }
  if (split != "heldout") return InvalidArgumentError("unknown split '" + split + "'");
  for (uint64_t seed : kHeldoutSeeds) {
    RETURN_IF_ERROR(add(fmt::format("heldout_hot_cold_{}", seed),
                        GenerateWorkloadText(WorkloadShape::kHotCold, seed)));
    RETURN_IF_ERROR(add(fmt::format("heldout_long_short_{}", seed),
                        GenerateWorkloadText(WorkloadShape::kLongShort, seed)));
    RETURN_IF_ERROR(add(fmt::format("heldout_crossed_{}", seed),
                        GenerateWorkloadText(WorkloadShape::kCrossed, seed)));
  }
  return out;
}

namespace {

// What candidates commonly include (searches use <random> and <cmath>);
// precompiled once per cache and force-included.
CandidateApi Api() {
  return CandidateApi{kHeaderName, HeaderSource(), DriverSource(), kCandidateFile,
                      CommonPrecompiledHeaders()};
}

}  // namespace

CompileSpec TxnCompileSpec(std::string candidate_source, std::string cache_dir,
                           std::string work_dir) {
  const CandidateApi api = Api();
  return MakeCompileSpec(api, std::move(candidate_source), std::move(cache_dir),
                         std::move(work_dir));
}

HarnessReport EvaluateCandidate(const std::string& source,
                                const std::vector<NamedWorkload>& workloads,
                                const EvaluateOptions& options) {
  return CompileAndRun(TxnCompileSpec(source, options.cache_dir, options.work_dir),
                       EncodeInput(workloads, options.seed), options.limits,
                       [&](const RunOutput& run) { return Score(workloads, run); });
}

namespace {

class TxnSchedulingProblem final : public Problem {
 public:
  std::string_view name() const override { return "txn_scheduling"; }
  std::string_view description() const override {
    return "transaction scheduling (ADRS); candidate: ScheduleTransactions() in C++; "
           "sum of makespans on the 3 published workloads / 6 generated held-out "
           "workloads";
  }
  std::string_view directory() const override { return "txn_scheduling"; }
  CandidateApi candidate_api() const override { return Api(); }
  StatusOr<HarnessReport> Evaluate(const HarnessEnv& env,
                                   const std::string& source) const override {
    StatusOr<std::vector<NamedWorkload>> workloads = LoadSplit(env.split, env.problem_dir);
    if (!workloads.ok()) return workloads.status();
    EvaluateOptions options;
    options.seed = env.seed;
    options.cache_dir = env.cache_dir;
    options.limits.timeout_seconds = env.split == "heldout" ? 120 : 60;
    return EvaluateCandidate(source, *workloads, options);
  }
  // problems/txn_scheduling/README.md has them with their sources.
  std::vector<ReferenceValue> reference_values() const override {
    return {
        {"initial.cpp", "train", "sequential_total", 537, 0, "spec §5: 452 + 38 + 47"},
        {"initial.cpp", "train", "total_makespan", 358, 0, "measured at the port, seed 0"},
        {"initial.cpp", "heldout", "total_makespan", 804, 0, "measured at the port, seed 0"},
    };
  }
};

}  // namespace

std::unique_ptr<Problem> MakeProblem() { return std::make_unique<TxnSchedulingProblem>(); }

}  // namespace crucible::txn
