// The trusted cloudcast driver. Not part of crucible's build: its text is
// embedded in crucible and compiled with each candidate (see harness.h).
//
// Protocol. Input (stdin): "N\n" then N lines "name provider"; "M\n" then M
// edge lines "u v cost throughput" (grouped by u, each group in successor
// order); "C\n" then C config lines "name source P volume in0 in1 in2 eg0 eg1
// eg2 seed D d_1 .. d_D". Output (the stdout it had at start; the
// candidate's own stdout goes to stderr): per config one line
// "R D' (P' (k n_0 .. n_{k-1}){P'}){D'}": the topology as returned,
// unchecked (D' lists of P' paths of k nodes), or "E message" (then nothing
// more).
// Exit status 99: out of memory.

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "cloudcast.h"
#include "driver_prelude.h"

using crucible_driver::ReadAll;
using crucible_driver::WriteAll;

int main() {
  const int answers = crucible_driver::TakeAnswerChannel();
  if (answers < 0) return 1;
  std::istringstream in(ReadAll());
  cloudcast::Graph graph;
  size_t n = 0, m = 0, count = 0;
  if (!(in >> n)) return 2;
  graph.names.resize(n);
  graph.provider.resize(n);
  graph.succ.resize(n);
  for (size_t i = 0; i < n; ++i) {
    if (!(in >> graph.names[i] >> graph.provider[i])) return 2;
  }
  if (!(in >> m)) return 2;
  for (size_t i = 0; i < m; ++i) {
    size_t u = 0;
    cloudcast::Edge e;
    if (!(in >> u >> e.to >> e.cost >> e.throughput) || u >= n) return 2;
    graph.succ[u].push_back(e);
  }
  graph.Index();
  if (!(in >> count)) return 2;
  for (size_t k = 0; k < count; ++k) {
    cloudcast::Config c;
    uint64_t seed = 0;
    size_t dsts = 0;
    if (!(in >> c.name >> c.source >> c.num_partitions >> c.data_vol_gb >> c.ingress[0] >>
          c.ingress[1] >> c.ingress[2] >> c.egress[0] >> c.egress[1] >> c.egress[2] >> seed >>
          dsts)) {
      return 2;
    }
    c.dsts.resize(dsts);
    for (size_t d = 0; d < dsts; ++d) {
      if (!(in >> c.dsts[d])) return 2;
    }
    cloudcast::Topology t;
    const bool returned = crucible_driver::CallCandidate(
        answers, "SearchAlgorithm", [&] { t = cloudcast::SearchAlgorithm(graph, c, seed); });
    if (!returned) return 0;
    std::string out = "R";
    out += ' ';
    out += std::to_string(t.paths.size());
    for (const auto& per_dst : t.paths) {
      out += ' ';
      out += std::to_string(per_dst.size());
      for (const cloudcast::Path& path : per_dst) {
        out += ' ';
        out += std::to_string(path.size());
        for (int32_t x : path) {
          out += ' ';
          out += std::to_string(x);
        }
      }
    }
    out += '\n';
    WriteAll(answers, out);
  }
  return 0;
}
