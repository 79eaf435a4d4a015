// EPLB: replicate and place the experts of each MoE layer so that the GPUs'
// loads in the next window are balanced (see prompt.md and eplb.h). The
// initial program is DeepSeek's EPLB (deepseek-ai/EPLB, the vLLM port ADRS
// starts from): the hierarchical policy, groups -> nodes, replicas within a
// node, replicas -> GPUs.
#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

#include "eplb.h"

// EVOLVE-BLOCK-START
namespace {

// Packs the n items of `w` into m packs of exactly n / m items each: items by
// weight descending (stable), each to the pack with room and the smallest
// float sum (lowest index on ties). Returns (pack, rank in pack) per item.
void BalancedPacking(const std::vector<float>& w, int32_t m, std::vector<int32_t>& pack,
                     std::vector<int32_t>& rank) {
  const int32_t n = static_cast<int32_t>(w.size());
  const int32_t per_pack = n / m;
  pack.assign(static_cast<size_t>(n), 0);
  rank.assign(static_cast<size_t>(n), 0);
  if (per_pack == 1) {
    std::iota(pack.begin(), pack.end(), 0);
    return;
  }
  std::vector<int32_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return w[a] > w[b]; });
  std::vector<float> pack_weight(static_cast<size_t>(m), 0.0f);
  std::vector<int32_t> pack_count(static_cast<size_t>(m), 0);
  for (int32_t i : order) {
    int32_t best = -1;
    for (int32_t p = 0; p < m; ++p) {
      if (pack_count[p] < per_pack && (best < 0 || pack_weight[p] < pack_weight[best])) best = p;
    }
    pack[i] = best;
    rank[i] = pack_count[best]++;
    pack_weight[best] += w[i];
  }
}

// Adds replicas one at a time to the expert with the largest per-replica
// load (float division, first index on ties) until there are `slots`.
// Returns phy2log for the row and the replica counts.
void ReplicateExperts(const std::vector<float>& w, int32_t slots, std::vector<int32_t>& phy2log,
                      std::vector<int32_t>& count) {
  const int32_t n = static_cast<int32_t>(w.size());
  phy2log.resize(static_cast<size_t>(slots));
  std::iota(phy2log.begin(), phy2log.begin() + n, 0);
  count.assign(static_cast<size_t>(n), 1);
  for (int32_t i = n; i < slots; ++i) {
    int32_t best = 0;
    float best_v = w[0] / static_cast<float>(count[0]);
    for (int32_t j = 1; j < n; ++j) {
      const float v = w[j] / static_cast<float>(count[j]);
      if (v > best_v) {
        best_v = v;
        best = j;
      }
    }
    phy2log[i] = best;
    ++count[best];
  }
}

}  // namespace

std::vector<int32_t> crucible::eplb::RebalanceExperts(const Problem& p) {
  int32_t groups = p.groups, nodes = p.nodes;
  if (groups % nodes != 0) groups = nodes = 1;
  const int32_t experts = p.experts;
  const int32_t group_size = experts / groups;
  const int32_t groups_per_node = groups / nodes;
  const int32_t experts_per_node = experts / nodes;
  const int32_t slots_per_node = p.slots / nodes;
  const int32_t gpus_per_node = p.gpus / nodes;
  const int32_t slots_per_gpu = p.slots / p.gpus;
  std::vector<int32_t> out(static_cast<size_t>(p.layers) * static_cast<size_t>(p.slots));
  std::vector<float> group_load(static_cast<size_t>(groups));
  std::vector<int32_t> gpack, grank, mlog2log(static_cast<size_t>(experts)), pack, rank;
  std::vector<float> node_w(static_cast<size_t>(experts_per_node));
  std::vector<int32_t> phy2mlog, mcount;
  std::vector<float> replica_w(static_cast<size_t>(slots_per_node));
  for (int32_t l = 0; l < p.layers; ++l) {
    // 1. Groups -> nodes, each node gets groups_per_node groups.
    for (int32_t g = 0; g < groups; ++g) {
      float s = 0;
      for (int32_t i = 0; i < group_size; ++i) s += static_cast<float>(p.Load(l, g * group_size + i));
      group_load[g] = s;
    }
    BalancedPacking(group_load, nodes, gpack, grank);
    for (int32_t e = 0; e < experts; ++e) {
      const int32_t g = e / group_size;
      const int32_t mlog = (gpack[g] * groups_per_node + grank[g]) * group_size + e % group_size;
      mlog2log[mlog] = e;
    }
    for (int32_t node = 0; node < nodes; ++node) {
      // 2. Replicate within the node.
      for (int32_t i = 0; i < experts_per_node; ++i) {
        node_w[i] = static_cast<float>(p.Load(l, mlog2log[node * experts_per_node + i]));
      }
      ReplicateExperts(node_w, slots_per_node, phy2mlog, mcount);
      // 3. Replicas -> GPUs of the node, slots_per_gpu each.
      for (int32_t r = 0; r < slots_per_node; ++r) {
        replica_w[r] = node_w[phy2mlog[r]] / static_cast<float>(mcount[phy2mlog[r]]);
      }
      BalancedPacking(replica_w, gpus_per_node, pack, rank);
      for (int32_t r = 0; r < slots_per_node; ++r) {
        const int32_t slot = node * slots_per_node + pack[r] * slots_per_gpu + rank[r];
        out[static_cast<size_t>(l) * p.slots + slot] =
            mlog2log[node * experts_per_node + phy2mlog[r]];
      }
    }
  }
  return out;
}
// EVOLVE-BLOCK-END
