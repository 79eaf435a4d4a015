// The cost model and the data loaders (unit): hand-computed vectors of the
// spec's rules, and the shipped seed reproducing the published $1,045.86.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "problems/cloudcast/cloudcast.h"
#include "problems/cloudcast/src/data.h"

// The shipped initial program, compiled here as plain C++.
#include CRUCIBLE_CLOUDCAST_INITIAL

namespace crucible::cloudcast {
namespace {

const std::string kProblemDir = std::string(CRUCIBLE_PROBLEMS_DIR) + "/cloudcast";

// A 3-node graph: a (aws) -> b (aws) -> c (gcp), and a -> c.
Graph Tiny() {
  StatusOr<Graph> g = ParseEdgesCsv(
      "src,dst,throughput_sent_bps,throughput_sent_bps_as_pandas_parses_it,cost_per_gb\n"
      "aws:a,aws:b,1,8e9,0.02\n"
      "aws:b,gcp:c,1,4e9,0.09\n"
      "aws:a,gcp:c,1,2e9,0.12\n"
      "aws:b,aws:a,1,8e9,0.02\n");
  EXPECT_TRUE(g.ok()) << g.status().ToString();
  return *g;
}

TEST(CloudcastGraph, ParsesNodesInFirstSeenOrderAndThroughputTimesVms) {
  const Graph g = Tiny();
  ASSERT_EQ(g.num_nodes(), 3);
  EXPECT_EQ(g.names[0], "aws:a");
  EXPECT_EQ(g.names[2], "gcp:c");
  EXPECT_EQ(g.provider[2], kGcp);
  ASSERT_NE(g.FindEdge(0, 1), nullptr);
  EXPECT_DOUBLE_EQ(g.FindEdge(0, 1)->throughput, 16.0);  // 2 VMs x 8 Gbit/s
  EXPECT_EQ(g.FindEdge(2, 0), nullptr);
  EXPECT_EQ(g.FindEdge(0, 0), nullptr);
  EXPECT_EQ(g.FindEdge(0, 7), nullptr);
}

TEST(CloudcastGraph, RejectsMalformedTables) {
  const std::string header =
      "src,dst,throughput_sent_bps,throughput_sent_bps_as_pandas_parses_it,cost_per_gb\n";
  EXPECT_FALSE(ParseEdgesCsv(header + "aws:a,aws:a,1,1e9,0.1\n").ok());
  EXPECT_FALSE(ParseEdgesCsv(header + "aws:a,aws:b,1,x,0.1\n").ok());
  EXPECT_FALSE(ParseEdgesCsv(header + "aws:a,aws:b,1,1e9,0.1\naws:a,aws:b,1,1e9,0.1\n").ok());
  EXPECT_FALSE(ParseEdgesCsv(header + "ibm:a,aws:b,1,1e9,0.1\n").ok());
  EXPECT_FALSE(ParseEdgesCsv("a,b\n").ok());
}

TEST(CloudcastSim, MulticastPaysSharedEdgesOnceAndTimeIsMaxOverHops) {
  const Graph g = Tiny();
  Config c;
  c.source = 0;
  c.dsts = {1, 2};
  c.num_partitions = 2;
  c.data_vol_gb = 10;  // pv = 5 GB
  Topology t;
  t.paths = {{{0, 1}, {0, 1}}, {{0, 1, 2}, {0, 2}}};
  ASSERT_EQ(ValidateTopology(g, c, t), "");
  const SimResult r = Simulate(g, c, t);
  // a->b carries {0,1}: 2*5 GB * 0.02; b->c {0}: 5 * 0.09; a->c {1}: 5 * 0.12.
  EXPECT_DOUBLE_EQ(r.egress_cost, 10 * 0.02 + 5 * 0.09 + 5 * 0.12);
  EXPECT_EQ(r.union_edges, 3);
  EXPECT_EQ(r.union_nodes, 3);
  // Limits: a (aws) egress 10 < 16 + 4 -> both out-edges min(f, 5): a->b 5,
  // a->c 4. c (gcp) ingress 32 > 8 + 4: no change. b egress 10 > 8: none.
  // Times: a->b 2*5*8/5 = 16 s; b->c 5*8/8 = 5; a->c 5*8/4 = 10.
  EXPECT_DOUBLE_EQ(r.time_s, 16.0);
  EXPECT_DOUBLE_EQ(r.runtime_s, 16.0);
  EXPECT_DOUBLE_EQ(r.instance_cost, 3 * ((2 * (0.54 / 3600)) * 16.0));
  EXPECT_DOUBLE_EQ(r.cost, r.egress_cost + r.instance_cost);
}

TEST(CloudcastSim, LimitsCountOnlyTheEdgesInUse) {
  // Ingress at c is tested after a's egress reduced a->c.
  const Graph g = Tiny();
  Config c;
  c.source = 0;
  c.dsts = {2};
  c.num_partitions = 1;
  c.ingress[kGcp] = 5;  // c: in = 4 + 8? only the used edges count
  Topology t;
  t.paths = {{{0, 2}}};
  const SimResult r = Simulate(g, c, t);
  // a->c flow 4 (2 VMs x 2 Gbit/s); a's egress 10 > 4: no change; c ingress 5 > 4: none.
  EXPECT_DOUBLE_EQ(r.time_s, 300.0 * 8 / 4);
}

TEST(CloudcastSim, RoundsLikePython) {
  EXPECT_EQ(RoundTo2(2.675), 2.67);  // 2.675 is below the tie in binary
  EXPECT_EQ(RoundTo2(0.125), 0.12);  // an exact tie: to even
  EXPECT_EQ(RoundTo2(0.375), 0.38);
  EXPECT_EQ(RoundTo2(1234.5678), 1234.57);
}

TEST(CloudcastValidate, RejectsEveryMalformedTopology) {
  const Graph g = Tiny();
  Config c;
  c.source = 0;
  c.dsts = {2};
  c.num_partitions = 2;
  auto check = [&](std::vector<std::vector<Path>> paths, const std::string& needle) {
    Topology t;
    t.paths = std::move(paths);
    const std::string e = ValidateTopology(g, c, t);
    EXPECT_NE(e.find(needle), std::string::npos) << "got '" << e << "' want " << needle;
  };
  check({}, "destinations");
  check({{{0, 2}}}, "partition paths");
  check({{{0, 2}, {}}}, "at least one edge");
  check({{{0, 2}, {1, 2}}}, "start at the source");
  check({{{0, 2}, {0, 1}}}, "end at the destination");
  check({{{0, 2}, {0, 9, 2}}}, "out of range");
  check({{{0, 2}, {0, 1, 0, 2}}}, "twice");
  Topology ok;
  ok.paths = {{{0, 2}, {0, 1, 2}}};
  EXPECT_EQ(ValidateTopology(g, c, ok), "");
}

ProblemData Load(const std::string& split) {
  StatusOr<ProblemData> d = LoadSplit(split, kProblemDir);
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  return *std::move(d);
}

TEST(CloudcastData, ShippedGraphIsTheCompleteGridOf71Regions) {
  const ProblemData d = Load("train");
  ASSERT_EQ(d.graph.num_nodes(), 71);
  size_t edges = 0;
  for (const auto& s : d.graph.succ) edges += s.size();
  EXPECT_EQ(edges, 4970u);
  ASSERT_EQ(d.configs.size(), 5u);
  EXPECT_EQ(d.configs[0].name, "intra_aws");
  EXPECT_EQ(d.graph.names[static_cast<size_t>(d.configs[0].source)], "aws:ap-northeast-1");
  EXPECT_EQ(d.configs[4].dsts.size(), 7u);
  EXPECT_EQ(d.configs[3].ingress[kAws], 20);
  EXPECT_EQ(d.configs[3].egress[kGcp], 14);
}

TEST(CloudcastData, SeedReproducesThePublishedTotal) {
  const ProblemData d = Load("train");
  double total = 0;
  for (const Config& c : d.configs) {
    const Topology t = SearchAlgorithm(d.graph, c, 0);
    ASSERT_EQ(ValidateTopology(d.graph, c, t), "") << c.name;
    total += Simulate(d.graph, c, t).cost;
  }
  EXPECT_NEAR(total, 1045.86, 0.005);  // spec §6: the seed's total, $1,045.86
  EXPECT_NEAR(LeaderboardScore(total), 26.74, 0.01);
}

TEST(CloudcastData, HeldoutConfigsAreSeededAndFollowTheirMix) {
  const ProblemData a = Load("heldout");
  const ProblemData b = Load("heldout");
  ASSERT_EQ(a.configs.size(), 10u);
  for (size_t k = 0; k < a.configs.size(); ++k) {
    const Config& c = a.configs[k];
    EXPECT_EQ(c.source, b.configs[k].source);
    EXPECT_EQ(c.dsts, b.configs[k].dsts);
    EXPECT_EQ(c.num_partitions, 10);
    EXPECT_EQ(c.data_vol_gb, 300);
    EXPECT_EQ(c.dsts.size(), c.name.find("mixed7") != std::string::npos ? 7u : 6u) << c.name;
    for (int32_t x : c.dsts) {
      EXPECT_NE(x, c.source);
      EXPECT_EQ(std::count(c.dsts.begin(), c.dsts.end(), x), 1);
      if (c.name.find("intra_aws") != std::string::npos) {
        EXPECT_EQ(a.graph.provider[static_cast<size_t>(x)], kAws);
      }
    }
  }
  EXPECT_NE(a.configs[0].dsts, a.configs[5].dsts);  // the two seeds differ
}

TEST(CloudcastData, ConfigErrorsNameTheField) {
  const ProblemData d = Load("train");
  auto err = [&](const std::string& json) {
    StatusOr<Config> c = ParseConfigJson(json, d.graph, "x");
    return c.ok() ? std::string() : std::string(c.status().message());
  };
  EXPECT_NE(err(R"({"dest_nodes":["aws:us-east-1"],"data_vol":1,"num_partitions":1})")
                .find("source_node"),
            std::string::npos);
  EXPECT_NE(err(R"({"source_node":"aws:us-east-1","dest_nodes":["aws:nowhere"],"data_vol":1,"num_partitions":1})")
                .find("unknown region"),
            std::string::npos);
  EXPECT_NE(err(R"({"source_node":"aws:us-east-1","dest_nodes":["aws:us-east-1"],"data_vol":1,"num_partitions":1})")
                .find("dest_nodes"),
            std::string::npos);
  EXPECT_NE(err(R"({"source_node":"aws:us-east-1","dest_nodes":["aws:us-west-2"],"data_vol":0,"num_partitions":1})")
                .find("data_vol"),
            std::string::npos);
  EXPECT_NE(err("{").find("invalid JSON"), std::string::npos);
}

}  // namespace
}  // namespace crucible::cloudcast
