#include "problems/cloudcast/src/data.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/rng.h"
#include "problems/harness/compiled_candidate.h"

namespace crucible::cloudcast {
namespace {

namespace fs = std::filesystem;

std::vector<std::string_view> SplitCsvLine(std::string_view line) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    const size_t comma = line.find(',', start);
    out.push_back(line.substr(start, comma == std::string_view::npos ? std::string_view::npos
                                                                      : comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

bool ParseDouble(std::string_view s, double& v) {
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size() && std::isfinite(v);
}

}  // namespace

StatusOr<Graph> ParseEdgesCsv(std::string_view text) {
  Graph g;
  std::vector<std::tuple<int32_t, int32_t, double, double>> rows;
  auto node = [&](std::string_view name) -> int32_t {
    for (size_t i = 0; i < g.names.size(); ++i) {
      if (g.names[i] == name) return static_cast<int32_t>(i);
    }
    g.names.emplace_back(name);
    return static_cast<int32_t>(g.names.size() - 1);
  };
  size_t line_no = 0;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    const std::vector<std::string_view> f = SplitCsvLine(line);
    if (line_no == 1) {
      if (f.size() != 5 || f[0] != "src" || f[1] != "dst" ||
          f[3] != "throughput_sent_bps_as_pandas_parses_it" || f[4] != "cost_per_gb") {
        return InvalidArgumentError("edges.csv: unexpected header");
      }
      continue;
    }
    double bps = 0, cost = 0;
    if (f.size() != 5 || !ParseDouble(f[3], bps) || !ParseDouble(f[4], cost) || bps <= 0 ||
        cost < 0) {
      return InvalidArgumentError(fmt::format("edges.csv line {}: malformed row", line_no));
    }
    const int32_t u = node(f[0]);
    const int32_t v = node(f[1]);
    if (u == v) return InvalidArgumentError(fmt::format("edges.csv line {}: self-loop", line_no));
    rows.emplace_back(u, v, bps, cost);
  }
  const size_t n = g.names.size();
  if (n == 0) return InvalidArgumentError("edges.csv: no edges");
  g.succ.assign(n, {});
  for (const std::string& name : g.names) {
    const int32_t p = ProviderOf(name);
    if (p < 0) return InvalidArgumentError("edges.csv: unknown provider in region '" + name + "'");
    g.provider.push_back(p);
  }
  g.edge_index.assign(n * n, -1);
  for (const auto& [u, v, bps, cost] : rows) {
    const size_t key = static_cast<size_t>(u) * n + static_cast<size_t>(v);
    if (g.edge_index[key] >= 0) {
      return InvalidArgumentError(fmt::format("edges.csv: duplicate pair {} -> {}",
                                              g.names[static_cast<size_t>(u)],
                                              g.names[static_cast<size_t>(v)]));
    }
    g.edge_index[key] = static_cast<int32_t>(g.succ[static_cast<size_t>(u)].size());
    g.succ[static_cast<size_t>(u)].push_back(Edge{v, cost, kNumVms * bps / 1e9});
  }
  return g;
}

StatusOr<Config> ParseConfigJson(std::string_view text, const Graph& graph, std::string name) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError(fmt::format("config {}: invalid JSON: {}", name, e.what()));
  }
  auto err = [&](const std::string& field, const std::string& what) {
    return InvalidArgumentError(fmt::format("config {}: {}: {}", name, field, what));
  };
  if (!j.is_object()) return err("(top level)", "expected an object");
  Config c;
  c.name = std::move(name);
  if (!j.contains("source_node") || !j["source_node"].is_string()) {
    return err("source_node", "missing or not a string");
  }
  c.source = graph.FindNode(j["source_node"].get<std::string>());
  if (c.source < 0) return err("source_node", "unknown region");
  if (!j.contains("dest_nodes") || !j["dest_nodes"].is_array() || j["dest_nodes"].empty()) {
    return err("dest_nodes", "missing or not a non-empty array");
  }
  for (const auto& d : j["dest_nodes"]) {
    if (!d.is_string()) return err("dest_nodes", "not a string");
    const int32_t id = graph.FindNode(d.get<std::string>());
    if (id < 0) return err("dest_nodes", "unknown region '" + d.get<std::string>() + "'");
    if (id == c.source) return err("dest_nodes", "the source is a destination");
    if (std::find(c.dsts.begin(), c.dsts.end(), id) != c.dsts.end()) {
      return err("dest_nodes", "duplicate region '" + d.get<std::string>() + "'");
    }
    c.dsts.push_back(id);
  }
  if (!j.contains("data_vol") || !j["data_vol"].is_number() || j["data_vol"].get<double>() <= 0) {
    return err("data_vol", "missing or not a positive number");
  }
  c.data_vol_gb = j["data_vol"].get<double>();
  if (!j.contains("num_partitions") || !j["num_partitions"].is_number_integer() ||
      j["num_partitions"].get<int64_t>() < 1 || j["num_partitions"].get<int64_t>() > 1000) {
    return err("num_partitions", "missing or not an integer in 1..1000");
  }
  c.num_partitions = static_cast<int32_t>(j["num_partitions"].get<int64_t>());
  static const char* kProv[] = {"aws", "gcp", "azure"};
  for (const char* field : {"ingress_limit", "egress_limit"}) {
    if (!j.contains(field)) continue;
    const auto& lim = j[field];
    if (!lim.is_object()) return err(field, "not an object");
    double* target = std::string_view(field) == "ingress_limit" ? c.ingress : c.egress;
    for (int p = 0; p < 3; ++p) {
      if (!lim.contains(kProv[p])) continue;
      if (!lim[kProv[p]].is_number() || lim[kProv[p]].get<double>() <= 0) {
        return err(std::string(field) + "." + kProv[p], "not a positive number");
      }
      target[p] = lim[kProv[p]].get<double>() * kNumVms;
    }
  }
  return c;
}

Config GenerateConfig(const Graph& graph, Mix mix, uint64_t seed, std::string name) {
  Rng rng(seed);
  std::vector<int32_t> by_provider[3];
  for (int32_t i = 0; i < graph.num_nodes(); ++i) {
    by_provider[graph.provider[static_cast<size_t>(i)]].push_back(i);
  }
  Config c;
  c.name = std::move(name);
  int32_t want[3] = {0, 0, 0};
  switch (mix) {
    case Mix::kIntraAws: want[kAws] = 6; break;
    case Mix::kIntraGcp: want[kGcp] = 6; break;
    case Mix::kIntraAzure: want[kAzure] = 6; break;
    case Mix::kMixed6: want[0] = want[1] = want[2] = 2; break;
    case Mix::kMixed7:
      want[0] = want[1] = want[2] = 2;
      ++want[rng.Uniform(3)];
      break;
  }
  if (mix == Mix::kMixed6 || mix == Mix::kMixed7) {
    c.source = static_cast<int32_t>(rng.Uniform(static_cast<uint64_t>(graph.num_nodes())));
  } else {
    const int prov = mix == Mix::kIntraAws ? kAws : mix == Mix::kIntraGcp ? kGcp : kAzure;
    const auto& pool = by_provider[prov];
    c.source = pool[rng.Uniform(pool.size())];
  }
  for (int p = 0; p < 3; ++p) {
    std::vector<int32_t> pool;
    for (int32_t x : by_provider[p]) {
      if (x != c.source) pool.push_back(x);
    }
    for (int32_t k = 0; k < want[p]; ++k) {  // partial Fisher-Yates
      const size_t j = static_cast<size_t>(k) + rng.Uniform(pool.size() - static_cast<size_t>(k));
      std::swap(pool[static_cast<size_t>(k)], pool[j]);
      c.dsts.push_back(pool[static_cast<size_t>(k)]);
    }
  }
  // Interleave providers in a seeded order (destination order matters).
  for (size_t k = c.dsts.size(); k > 1; --k) std::swap(c.dsts[k - 1], c.dsts[rng.Uniform(k)]);
  return c;
}

StatusOr<ProblemData> LoadSplit(const std::string& split, const std::string& problem_dir) {
  if (split != "train" && split != "heldout") {
    return InvalidArgumentError("unknown split '" + split + "'");
  }
  if (problem_dir.empty()) return FailedPreconditionError("CRUCIBLE_PROBLEM_DIR is not set");
  const fs::path data = fs::path(problem_dir) / "data";
  ASSIGN_OR_RETURN(std::string edges, ReadFile((data / "edges.csv").string()));
  ProblemData out;
  ASSIGN_OR_RETURN(out.graph, ParseEdgesCsv(edges));
  if (split == "train") {
    for (const char* name : kPublicConfigs) {
      ASSIGN_OR_RETURN(std::string text,
                       ReadFile((data / "configs" / (std::string(name) + ".json")).string()));
      ASSIGN_OR_RETURN(Config c, ParseConfigJson(text, out.graph, name));
      out.configs.push_back(std::move(c));
    }
    return out;
  }
  static constexpr std::pair<Mix, const char*> kMixes[] = {
      {Mix::kIntraAws, "intra_aws"}, {Mix::kIntraAzure, "intra_azure"},
      {Mix::kIntraGcp, "intra_gcp"}, {Mix::kMixed6, "mixed6"}, {Mix::kMixed7, "mixed7"}};
  for (uint64_t seed : kHeldoutSeeds) {
    for (size_t k = 0; k < std::size(kMixes); ++k) {
      out.configs.push_back(GenerateConfig(out.graph, kMixes[k].first, DeriveSeed(seed, k),
                                           fmt::format("heldout_{}_{}", kMixes[k].second, seed)));
    }
  }
  return out;
}

double LeaderboardScore(double total_cost) {
  const double t = std::clamp(total_cost, 626.24, 1199.0);
  return 100 * (1199 - t) / (1199 - 626.24);
}

}  // namespace crucible::cloudcast
