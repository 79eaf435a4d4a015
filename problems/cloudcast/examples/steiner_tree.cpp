// A Steiner-tree heuristic (Takahashi-Matsuyama) for cloudcast: grow a tree
// from the source, each step attaching the destination that is cheapest
// ($/GB) to reach from any node already in the tree; every partition uses
// the tree path. Shared edges are paid once, so relays through cheap hubs
// are found automatically. An example of what the evaluator rewards, not a
// tuned solution.
#include <cstdint>
#include <limits>
#include <queue>
#include <tuple>
#include <vector>

#include "cloudcast.h"

// EVOLVE-BLOCK-START
cloudcast::Topology cloudcast::SearchAlgorithm(const cloudcast::Graph& graph,
                                               const cloudcast::Config& config, uint64_t seed) {
  (void)seed;
  const size_t n = static_cast<size_t>(graph.num_nodes());
  std::vector<int32_t> tree_parent(n, -2);  // -2: not in the tree; -1: the root
  tree_parent[static_cast<size_t>(config.source)] = -1;
  std::vector<char> attached(config.dsts.size(), 0);
  for (size_t step = 0; step < config.dsts.size(); ++step) {
    // Multi-source Dijkstra from every tree node (distance 0).
    using Item = std::pair<double, int32_t>;
    std::priority_queue<Item, std::vector<Item>, std::greater<Item>> q;
    std::vector<double> dist(n, std::numeric_limits<double>::infinity());
    std::vector<int32_t> parent(n, -1);
    for (size_t v = 0; v < n; ++v) {
      if (tree_parent[v] != -2) {
        dist[v] = 0;
        q.emplace(0.0, static_cast<int32_t>(v));
      }
    }
    while (!q.empty()) {
      const auto [d, v] = q.top();
      q.pop();
      if (d > dist[static_cast<size_t>(v)]) continue;
      for (const cloudcast::Edge& e : graph.succ[static_cast<size_t>(v)]) {
        const size_t u = static_cast<size_t>(e.to);
        if (e.to == config.source || d + e.cost >= dist[u]) continue;
        dist[u] = d + e.cost;
        parent[u] = v;
        q.emplace(dist[u], e.to);
      }
    }
    size_t best = 0;
    double best_d = std::numeric_limits<double>::infinity();
    for (size_t k = 0; k < config.dsts.size(); ++k) {
      if (!attached[k] && dist[static_cast<size_t>(config.dsts[k])] < best_d) {
        best_d = dist[static_cast<size_t>(config.dsts[k])];
        best = k;
      }
    }
    attached[best] = 1;
    // Add the path's nodes to the tree.
    for (int32_t x = config.dsts[best]; tree_parent[static_cast<size_t>(x)] == -2;
         x = parent[static_cast<size_t>(x)]) {
      tree_parent[static_cast<size_t>(x)] = parent[static_cast<size_t>(x)];
    }
  }
  cloudcast::Topology t;
  for (int32_t d : config.dsts) {
    cloudcast::Path rev;
    for (int32_t x = d; x != -1; x = tree_parent[static_cast<size_t>(x)]) rev.push_back(x);
    t.paths.emplace_back(static_cast<size_t>(config.num_partitions), cloudcast::Path(rev.rbegin(), rev.rend()));
  }
  return t;
}
// EVOLVE-BLOCK-END
