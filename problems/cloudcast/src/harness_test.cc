// The harness (integration): the seed compiled and run confined through the
// whole pipeline, and every loophole of the spec §7 tried and refused. The
// loophole topologies are fed to ScoreOutput as driver output (any topology
// the API can hold), so only a few tests pay for a compile.
#include "problems/cloudcast/src/harness.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace crucible::cloudcast {
namespace {

namespace fs = std::filesystem;
using testing::HasSubstr;

const std::string kProblemDir = std::string(CRUCIBLE_PROBLEMS_DIR) + "/cloudcast";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// One cache (and precompiled header) for the whole suite: compiles are the
// slow part.
class CloudcastHarnessTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/cloudcast_harness_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = new std::string(tmpl);
    StatusOr<ProblemData> train = LoadSplit("train", kProblemDir);
    ASSERT_TRUE(train.ok()) << train.status().ToString();
    train_ = new ProblemData(*std::move(train));
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
    delete train_;
  }

  static EvaluateOptions Options() {
    EvaluateOptions options;
    options.cache_dir = CRUCIBLE_TEST_CACHE_DIR;  // shared by the test processes
    options.work_dir = *dir_;
    options.limits.timeout_seconds = 30;
    return options;
  }
  static HarnessReport Evaluate(const std::string& source) {
    return EvaluateCandidate(source, *train_, Options());
  }

  // Direct routes for every config except config `bad`, which gets `paths`;
  // scored as if the driver had printed them.
  static HarnessReport ScoreWith(size_t bad, const std::vector<std::vector<Path>>& paths) {
    RunOutput run;
    run.status = RunStatus::kExited;
    for (size_t k = 0; k < train_->configs.size(); ++k) {
      const Config& c = train_->configs[k];
      std::vector<std::vector<Path>> direct;
      for (int32_t d : c.dsts) direct.emplace_back(10, Path{c.source, d});
      const auto& topology = k == bad ? paths : direct;
      run.stdout_text += "R " + std::to_string(topology.size());
      for (const auto& per_dst : topology) {
        run.stdout_text += " " + std::to_string(per_dst.size());
        for (const Path& p : per_dst) {
          run.stdout_text += " " + std::to_string(p.size());
          for (int32_t x : p) run.stdout_text += " " + std::to_string(x);
        }
      }
      run.stdout_text += "\n";
    }
    return ScoreOutput(*train_, run);
  }

  // A candidate whose SearchAlgorithm body is `body`.
  static std::string Candidate(const std::string& body) {
    return "#include <cstdint>\n#include <stdexcept>\n#include <vector>\n"
           "#include \"cloudcast.h\"\n"
           "cloudcast::Topology cloudcast::SearchAlgorithm(const cloudcast::Graph& g, "
           "const cloudcast::Config& c, uint64_t seed) {\n"
           "  (void)g; (void)seed; cloudcast::Topology t;\n" +
           body + "\n  return t;\n}\n";
  }

  static std::string* dir_;
  static ProblemData* train_;
};

std::string* CloudcastHarnessTest::dir_ = nullptr;
ProblemData* CloudcastHarnessTest::train_ = nullptr;

TEST_F(CloudcastHarnessTest, SeedScoresThePublishedTotal) {
  const HarnessReport r = Evaluate(ReadFile(kProblemDir + "/initial.cpp"));
  ASSERT_TRUE(r.valid) << r.feedback;
  EXPECT_NEAR(r.metrics.at("total_cost"), 1045.86, 0.005);
  EXPECT_NEAR(*r.score, -1045.86, 0.005);
  EXPECT_TRUE(r.metrics.contains("cost.inter_gaz2"));
  EXPECT_THAT(r.feedback, HasSubstr("inter_agz (gcp:asia-southeast1-a ->"));
}

TEST_F(CloudcastHarnessTest, DirectRoutesAreValidAndPricedFromTheHarnessTables) {
  const HarnessReport r = ScoreWith(99, {});
  ASSERT_TRUE(r.valid) << r.feedback;
  EXPECT_GT(r.metrics.at("total_cost"), 1045.86);  // direct routes cost more than the seed
}

// Loophole 1: edges that do not exist (a self-loop is the only missing pair
// of the complete grid; ids outside the graph). Attributes cannot be sent at
// all: the harness prices every edge from its own table.
TEST_F(CloudcastHarnessTest, UnknownEdgesAreRefused) {
  const Config& c = train_->configs[0];
  std::vector<std::vector<Path>> paths;
  for (int32_t d : c.dsts) paths.emplace_back(10, Path{c.source, c.source, d});
  HarnessReport r = ScoreWith(0, paths);
  EXPECT_EQ(r.outcome, "invalid");
  EXPECT_THAT(r.feedback, HasSubstr("intra_aws: destination 0"));
  EXPECT_THAT(r.feedback, HasSubstr("visits a node twice"));
  paths.clear();
  for (int32_t d : c.dsts) paths.emplace_back(10, Path{c.source, 5000, d});
  r = ScoreWith(0, paths);
  EXPECT_EQ(r.outcome, "invalid");
  EXPECT_THAT(r.feedback, HasSubstr("out of range"));
}

// Loophole 2: dropping destinations (the config's list is used, never the
// candidate's).
TEST_F(CloudcastHarnessTest, MissingDestinationsAreRefused) {
  const Config& c = train_->configs[3];
  std::vector<std::vector<Path>> paths;
  for (size_t k = 1; k < c.dsts.size(); ++k) paths.emplace_back(10, Path{c.source, c.dsts[k]});
  const HarnessReport r = ScoreWith(3, paths);
  EXPECT_EQ(r.outcome, "invalid");
  EXPECT_THAT(r.feedback, HasSubstr("inter_agz: expected paths for 6 destinations, got 5"));
}

// Loophole 3: LEVI's detached hub legs (a destination not reachable from the
// source on its own list) and lists that are not one contiguous path to
// their destination.
TEST_F(CloudcastHarnessTest, DetachedPathsAreRefused) {
  const Config& c = train_->configs[3];
  std::vector<std::vector<Path>> paths;
  for (int32_t d : c.dsts) {
    paths.emplace_back(10, d == c.dsts[0] ? Path{c.source, d} : Path{c.dsts[0], d});
  }
  HarnessReport r = ScoreWith(3, paths);
  EXPECT_EQ(r.outcome, "invalid");
  EXPECT_THAT(r.feedback, HasSubstr("destination 1 (azure:eastasia) partition 0: the path does "
                                    "not start at the source"));
  paths.clear();
  for (int32_t d : c.dsts) {
    paths.emplace_back(10, Path{c.source, d == c.dsts[0] ? c.dsts[1] : c.dsts[0]});
  }
  r = ScoreWith(3, paths);
  EXPECT_EQ(r.outcome, "invalid");
  EXPECT_THAT(r.feedback, HasSubstr("does not end at the destination"));
}

// Loophole 4: empty lists; and a wrong partition count.
TEST_F(CloudcastHarnessTest, EmptyPathsAndMissingPartitionsAreRefused) {
  const Config& c = train_->configs[1];
  std::vector<std::vector<Path>> paths;
  for (int32_t d : c.dsts) {
    paths.emplace_back(10, Path{c.source, d});
    paths.back()[9].clear();
  }
  HarnessReport r = ScoreWith(1, paths);
  EXPECT_EQ(r.outcome, "invalid");
  EXPECT_THAT(r.feedback, HasSubstr("partition 9: a path needs at least one edge"));
  for (auto& per_dst : paths) per_dst.resize(1);
  r = ScoreWith(1, paths);
  EXPECT_EQ(r.outcome, "invalid");
  EXPECT_THAT(r.feedback, HasSubstr("expected 10 partition paths, got 1"));
}

TEST_F(CloudcastHarnessTest, MalformedOrMissingOutputIsInvalid) {
  RunOutput run;
  run.status = RunStatus::kExited;
  for (const char* text : {"R 1 1 999999999\n", "R x\n", "", "R 0\n"}) {
    run.stdout_text = text;
    EXPECT_EQ(ScoreOutput(*train_, run).outcome, "invalid") << text;
  }
}

// The candidate's process cannot touch the harness's tables: a candidate that
// zeroes its own graph's costs still pays the real prices; a throw, a crash
// and a compile error are failures.
TEST_F(CloudcastHarnessTest, CandidateFailuresAndItsOwnGraphCopy) {
  HarnessReport r = Evaluate(Candidate(
      "auto& gm = const_cast<cloudcast::Graph&>(g);\n"
      "for (auto& s : gm.succ) for (auto& e : s) { e.cost = 0; e.throughput = 1e9; }\n"
      "for (int32_t d : c.dsts) t.paths.emplace_back(c.num_partitions, "
      "cloudcast::Path{c.source, d});\n"
      "if (c.name == \"inter_gaz2\" && seed == 12345) throw std::runtime_error(\"boom\");"));
  ASSERT_TRUE(r.valid) << r.feedback;
  EXPECT_NEAR(r.metrics.at("total_cost"), ScoreWith(99, {}).metrics.at("total_cost"), 1e-9);
  r = Evaluate(Candidate(
      "for (int32_t d : c.dsts) t.paths.emplace_back(c.num_partitions, "
      "cloudcast::Path{c.source, d});\n"
      "if (c.name == \"intra_gcp\") throw std::runtime_error(\"boom\");"));
  EXPECT_EQ(r.outcome, "runtime_error");
  EXPECT_THAT(r.feedback, HasSubstr("intra_gcp: SearchAlgorithm threw: boom"));
  r = Evaluate(Candidate("this does not compile"));
  EXPECT_EQ(r.outcome, "compile_error");
}

TEST_F(CloudcastHarnessTest, HeldoutSplitRunsTheSeed) {
  StatusOr<ProblemData> held = LoadSplit("heldout", kProblemDir);
  ASSERT_TRUE(held.ok());
  const HarnessReport r =
      EvaluateCandidate(ReadFile(kProblemDir + "/initial.cpp"), *held, Options());
  ASSERT_TRUE(r.valid) << r.feedback;
  EXPECT_TRUE(r.metrics.contains("cost.heldout_mixed7_20251107"));
  EXPECT_GT(r.metrics.at("total_cost"), 0);
}

}  // namespace
}  // namespace crucible::cloudcast
