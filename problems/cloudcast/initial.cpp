// Cloudcast: route 300 GB from a source region to every destination region
// across AWS, Azure and GCP at the lowest total dollar cost (egress + VM
// time); see prompt.md and cloudcast.h. The initial program is ADRS's seed:
// each destination gets its cheapest ($/GB) path, the same for all
// partitions; shared prefixes are paid once (multicast).
#include <cstdint>
#include <queue>
#include <tuple>
#include <vector>

#include "cloudcast.h"

// EVOLVE-BLOCK-START
namespace {

// Dijkstra on $/GB with networkx's tie-breaking (the seed's
// nx.dijkstra_path): ties popped first-pushed-first, a tentative path
// replaced only on a strictly smaller distance, successors in graph order.
// The source's in-edges are ignored.
cloudcast::Path CheapestPath(const cloudcast::Graph& g, int32_t src, int32_t dst) {
  const size_t n = static_cast<size_t>(g.num_nodes());
  using Item = std::tuple<double, uint64_t, int32_t>;
  std::priority_queue<Item, std::vector<Item>, std::greater<Item>> fringe;
  std::vector<double> seen(n, -1), dist(n, -1);
  std::vector<char> done(n, 0);
  std::vector<int32_t> parent(n, -1);
  uint64_t counter = 0;
  seen[static_cast<size_t>(src)] = 0;
  fringe.emplace(0.0, counter++, src);
  while (!fringe.empty()) {
    const auto [d, c, v] = fringe.top();
    fringe.pop();
    if (done[static_cast<size_t>(v)]) continue;
    done[static_cast<size_t>(v)] = 1;
    dist[static_cast<size_t>(v)] = d;
    if (v == dst) break;
    for (const cloudcast::Edge& e : g.succ[static_cast<size_t>(v)]) {
      if (e.to == src) continue;
      const double vu = d + e.cost;
      const size_t u = static_cast<size_t>(e.to);
      if (done[u]) continue;
      if (seen[u] < 0 || vu < seen[u]) {
        seen[u] = vu;
        parent[u] = v;
        fringe.emplace(vu, counter++, e.to);
      }
    }
  }
  cloudcast::Path path;
  for (int32_t x = dst; x != -1; x = parent[static_cast<size_t>(x)]) path.push_back(x);
  return cloudcast::Path(path.rbegin(), path.rend());
}

}  // namespace

cloudcast::Topology cloudcast::SearchAlgorithm(const cloudcast::Graph& graph,
                                               const cloudcast::Config& config, uint64_t seed) {
  (void)seed;  // deterministic
  cloudcast::Topology topology;
  for (int32_t dst : config.dsts) {
    const cloudcast::Path path = CheapestPath(graph, config.source, dst);
    topology.paths.emplace_back(static_cast<size_t>(config.num_partitions), path);
  }
  return topology;
}
// EVOLVE-BLOCK-END
