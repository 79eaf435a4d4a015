// Cloudcast data: the region graph from the shipped edges.csv, the five
// public broadcast configurations (configs/*.json) and the seeded generator
// of held-out configurations drawn from the same 71-region grid
// (shared/problems/cloudcast.md §2, §7.5).
#ifndef CRUCIBLE_PROBLEMS_CLOUDCAST_DATA_H_
#define CRUCIBLE_PROBLEMS_CLOUDCAST_DATA_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "problems/cloudcast/cloudcast.h"

namespace crucible::cloudcast {

// The public configurations in the order the original evaluator sums them.
inline constexpr const char* kPublicConfigs[] = {"intra_aws", "intra_azure", "intra_gcp",
                                                 "inter_agz", "inter_gaz2"};

// Parses edges.csv (header src,dst,throughput_sent_bps,
// throughput_sent_bps_as_pandas_parses_it,cost_per_gb; rows in throughput.csv
// order). Nodes are numbered by first appearance (src, then dst, row by row);
// throughput = kNumVms * (pandas-parsed bps) / 1e9. Rejects malformed rows,
// self-loops, duplicate pairs and unknown providers.
StatusOr<Graph> ParseEdgesCsv(std::string_view text);

// Parses a config JSON (source_node, dest_nodes, data_vol, num_partitions,
// optional ingress_limit / egress_limit per provider, per VM). Unknown
// regions, a source among the destinations, duplicate destinations,
// non-positive volume or partitions are errors naming the field.
StatusOr<Config> ParseConfigJson(std::string_view text, const Graph& graph, std::string name);

// The mix of providers among a held-out config's destinations.
enum class Mix { kIntraAws, kIntraGcp, kIntraAzure, kMixed6, kMixed7 };

// One held-out config: the source is drawn uniformly (from the provider for
// intra mixes, from all regions otherwise), destinations without replacement
// from the other regions: 6 of the provider (intra), 2 per provider (kMixed6)
// or 3 of one random provider + 2 of each other (kMixed7). V = 300 GB, P = 10,
// default limits. Deterministic in (graph, mix, seed).
Config GenerateConfig(const Graph& graph, Mix mix, uint64_t seed, std::string name);

// The held-out split: every Mix for each of these seeds (10 configs).
inline constexpr uint64_t kHeldoutSeeds[] = {20251106, 20251107};

struct ProblemData {
  Graph graph;
  std::vector<Config> configs;
};

// train: the 5 public configs of `problem_dir`/data/configs; heldout: the 10
// generated ones. Both read `problem_dir`/data/edges.csv.
StatusOr<ProblemData> LoadSplit(const std::string& split, const std::string& problem_dir);

// The leaderboard's display normalisation: 100 * (1199 - clamp(total, 626.24,
// 1199)) / (1199 - 626.24).
double LeaderboardScore(double total_cost);

}  // namespace crucible::cloudcast

#endif  // CRUCIBLE_PROBLEMS_CLOUDCAST_DATA_H_
