#include "problems/cloudcast/src/harness.h"

#include <fmt/format.h>

#include <charconv>
#include <filesystem>

#include "core/rng.h"

namespace crucible::cloudcast {
namespace {

namespace fs = std::filesystem;

// Reads the next non-negative integer token of `s` (after one space).
bool NextInt(std::string_view& s, int64_t& v) {
  if (s.empty() || s.front() != ' ') return false;
  s.remove_prefix(1);
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p == s.data()) return false;
  s.remove_prefix(static_cast<size_t>(p - s.data()));
  return true;
}

// Parses "R D (P (k n..)..)..": structure errors are "" + error.
StatusOr<Topology> ParseTopology(std::string_view line, const Graph& g) {
  std::string_view s = line.substr(1);
  auto bad = [] { return InvalidArgumentError("malformed topology line from the driver"); };
  int64_t dsts = 0;
  if (!NextInt(s, dsts) || dsts < 0 || dsts > 10000) return bad();
  Topology t;
  t.paths.resize(static_cast<size_t>(dsts));
  for (auto& per_dst : t.paths) {
    int64_t parts = 0;
    if (!NextInt(s, parts) || parts < 0 || parts > 100000) return bad();
    per_dst.resize(static_cast<size_t>(parts));
    for (Path& path : per_dst) {
      int64_t k = 0;
      if (!NextInt(s, k) || k < 0) return bad();
      if (k > g.num_nodes()) {
        return InvalidArgumentError(
            fmt::format("a path of {} nodes cannot be simple on {} regions", k, g.num_nodes()));
      }
      path.resize(static_cast<size_t>(k));
      for (int32_t& x : path) {
        int64_t v = 0;
        if (!NextInt(s, v)) return bad();
        x = v > g.num_nodes() ? g.num_nodes() : static_cast<int32_t>(v);  // range checked later
      }
    }
  }
  if (!s.empty()) return bad();
  return t;
}

}  // namespace

std::string EncodeInput(const ProblemData& data, uint64_t seed) {
  const Graph& g = data.graph;
  std::string in = fmt::format("{}\n", g.num_nodes());
  for (int32_t i = 0; i < g.num_nodes(); ++i) {
    in +=
        fmt::format("{} {}\n", g.names[static_cast<size_t>(i)], g.provider[static_cast<size_t>(i)]);
  }
  size_t m = 0;
  for (const auto& s : g.succ) m += s.size();
  in += fmt::format("{}\n", m);
  for (size_t u = 0; u < g.succ.size(); ++u) {
    for (const Edge& e : g.succ[u]) {
      in += fmt::format("{} {} {:.17g} {:.17g}\n", u, e.to, e.cost, e.throughput);
    }
  }
  in += fmt::format("{}\n", data.configs.size());
  for (size_t k = 0; k < data.configs.size(); ++k) {
    const Config& c = data.configs[k];
    in += fmt::format("{} {} {} {:.17g} {:.17g} {:.17g} {:.17g} {:.17g} {:.17g} {:.17g} {} {}",
                      c.name, c.source, c.num_partitions, c.data_vol_gb, c.ingress[0], c.ingress[1],
                      c.ingress[2], c.egress[0], c.egress[1], c.egress[2], DeriveSeed(seed, k),
                      c.dsts.size());
    for (int32_t d : c.dsts) in += fmt::format(" {}", d);
    in += '\n';
  }
  return in;
}

HarnessReport ScoreOutput(const ProblemData& data, const RunOutput& run) {
  std::string_view out = run.stdout_text;
  HarnessReport report;
  double total = 0, total_time = 0;
  std::string feedback,
      csv = "config,destinations,cost,egress,instance,time_s,union_edges,union_nodes\n";
  for (const Config& c : data.configs) {
    const size_t nl = out.find('\n');
    const std::string_view line = out.substr(0, nl);
    out = nl == std::string_view::npos ? std::string_view() : out.substr(nl + 1);
    if (line.starts_with("E ")) {
      return FailureReport("runtime_error", fmt::format("{}: {}", c.name, line.substr(2)));
    }
    if (!line.starts_with("R ")) {
      return FailureReport("invalid", fmt::format("{}: no topology from the candidate ({})", c.name,
                                                  run.Describe()));
    }
    StatusOr<Topology> t = ParseTopology(line, data.graph);
    if (!t.ok())
      return FailureReport("invalid", fmt::format("{}: {}", c.name, t.status().message()));
    if (const std::string e = ValidateTopology(data.graph, c, *t); !e.empty()) {
      return FailureReport("invalid", fmt::format("{}: {}", c.name, e));
    }
    const SimResult r = Simulate(data.graph, c, *t);
    total += r.cost;
    total_time += r.runtime_s;
    report.metrics["cost." + c.name] = r.cost;
    report.metrics["time." + c.name] = r.runtime_s;
    report.metrics["egress." + c.name] = r.egress_cost;
    std::string dsts;
    for (int32_t d : c.dsts)
      dsts += (dsts.empty() ? "" : " ") + data.graph.names[static_cast<size_t>(d)];
    feedback += fmt::format(
        "{} ({} -> {}): ${:.2f} = egress ${:.2f} + VM time ${:.2f} ({:.2f} s on {} regions, "
        "{} edges)\n",
        c.name, data.graph.names[static_cast<size_t>(c.source)], dsts, r.cost, r.egress_cost,
        r.instance_cost, r.runtime_s, r.union_nodes, r.union_edges);
    csv += fmt::format("{},{},{:.6f},{:.6f},{:.6f},{:.2f},{},{}\n", c.name, dsts, r.cost,
                       r.egress_cost, r.instance_cost, r.runtime_s, r.union_edges, r.union_nodes);
  }
  if (out.find_first_not_of(" \n") != std::string_view::npos) {
    return FailureReport("invalid", "the driver wrote more topologies than there are configs");
  }
  report.metrics["total_cost"] = total;
  report.metrics["total_time"] = total_time;
  report.score = -total;
  // The leaderboard scale is defined on the 5 public configs only.
  bool is_public = data.configs.size() == std::size(kPublicConfigs);
  for (size_t k = 0; is_public && k < data.configs.size(); ++k) {
    is_public = data.configs[k].name == kPublicConfigs[k];
  }
  if (is_public) {
    report.metrics["lb_score"] = LeaderboardScore(total);
    report.feedback = fmt::format(
        "total cost ${:.2f} over the 5 public configs (leaderboard scale {:.2f}: 0 = $1199, "
        "100 = $626.24; the ADRS seed is $1045.86)\n",
        total, LeaderboardScore(total));
  } else {
    report.feedback =
        fmt::format("total cost ${:.2f} over {} configs\n", total, data.configs.size());
  }
  report.feedback += feedback;
  report.artifacts["per_config.csv"] = csv;
  return report;
}

namespace {

CandidateApi Api() {
  return CandidateApi{kHeaderName,
                      HeaderSource(),
                      DriverSource(),
                      kCandidateFile,
                      {"algorithm", "cmath", "cstdint", "functional", "limits", "map", "numeric",
                       "queue", "random", "set", "string", "tuple", "unordered_map", "vector"}};
}

}  // namespace

CompileSpec CloudcastCompileSpec(std::string candidate_source, std::string cache_dir,
                                 std::string work_dir) {
  const CandidateApi api = Api();
  return MakeCompileSpec(api, std::move(candidate_source), std::move(cache_dir),
                         std::move(work_dir));
}

HarnessReport EvaluateCandidate(const std::string& source, const ProblemData& data,
                                const EvaluateOptions& options) {
  return CompileAndRun(CloudcastCompileSpec(source, options.cache_dir, options.work_dir),
                       EncodeInput(data, options.seed), options.limits,
                       [&](const RunOutput& run) { return ScoreOutput(data, run); });
}

namespace {

class CloudcastProblem final : public Problem {
 public:
  std::string_view name() const override { return "cloudcast"; }
  std::string_view description() const override {
    return "multi-cloud broadcast (ADRS Cloudcast); candidate: SearchAlgorithm() in "
           "C++; total $ over the 5 public configs / 10 generated held-out configs";
  }
  std::string_view directory() const override { return "cloudcast"; }
  CandidateApi candidate_api() const override { return Api(); }
  StatusOr<HarnessReport> Evaluate(const HarnessEnv& env,
                                   const std::string& source) const override {
    StatusOr<ProblemData> data = LoadSplit(env.split, env.problem_dir);
    if (!data.ok()) return data.status();
    EvaluateOptions options;
    options.seed = env.seed;
    options.cache_dir = env.cache_dir;
    options.limits.timeout_seconds = 30;
    return EvaluateCandidate(source, *data, options);
  }
  // problems/cloudcast/README.md has them with their sources.
  std::vector<ReferenceValue> reference_values() const override {
    return {
        {"initial.cpp", "train", "total_cost", 1045.860405, 5e-7, "spec: 1045.86"},
        {"initial.cpp", "heldout", "total_cost", 1524.074991, 5e-7, "measured at the port"},
    };
  }
};

}  // namespace

std::unique_ptr<Problem> MakeProblem() { return std::make_unique<CloudcastProblem>(); }

}  // namespace crucible::cloudcast
