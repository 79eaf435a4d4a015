#include "precheck/precheck.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace crucible {
namespace {

constexpr char kParent[] =
    "#include <cmath>\n"
    "// EVOLVE-BLOCK-START\n"
    "double f(double x) { return 2 * x; }\n"
    "// EVOLVE-BLOCK-END\n"
    "int main() {}\n";

ParsedProgram Parse(std::string content, std::string path = "a.cc") {
  return ParsedProgram(Program{{{std::move(path), std::move(content)}}});
}

std::string WithBody(std::string_view body) {
  std::string s = kParent;
  const std::string old = "double f(double x) { return 2 * x; }";
  s.replace(s.find(old), old.size(), body);
  return s;
}

EvalResult Scored(double score) {
  EvalResult r;
  r.outcome = Outcome::kOk;
  r.score = score;
  r.metrics = {{"m", 1.5}};
  r.artifacts = {{"log.txt", "big"}};
  r.feedback = "fine";
  return r;
}

class PrecheckTest : public ::testing::Test {
 protected:
  PrecheckOptions Options(size_t max_bytes) {
    PrecheckOptions o;
    o.max_program_bytes = max_bytes;
    return o;
  }
  const ParsedProgram parent_ = Parse(kParent);
};

TEST_F(PrecheckTest, AnIntactNewChildPasses) {
  Prechecker checker(Options(1024));
  const PrecheckVerdict v = checker.Check(parent_, Parse(WithBody("double f(double x) { return x; }")));
  EXPECT_TRUE(v.passed());
  EXPECT_EQ(v.outcome(), Outcome::kOk);
  EXPECT_EQ(v.reason, "");
  EXPECT_EQ(v.duplicate_of, kNoCandidate);
}

TEST_F(PrecheckTest, OverTheSizeLimitIsRejected) {
  const ParsedProgram child = Parse(WithBody("double f(double x) { return x * x * x; }"));
  Prechecker checker(Options(child.size_bytes() - 1));
  const PrecheckVerdict v = checker.Check(parent_, child);
  EXPECT_EQ(v.kind, PrecheckVerdict::Kind::kRejected);
  EXPECT_EQ(v.outcome(), Outcome::kRejected);
  EXPECT_EQ(v.reason, fmt::format("the program is {} bytes, over the limit of {}",
                                  child.size_bytes(), child.size_bytes() - 1));
  // Exactly at the limit is allowed.
  EXPECT_TRUE(Prechecker(Options(child.size_bytes())).Check(parent_, child).passed());
}

TEST_F(PrecheckTest, AChangedFixedRegionIsRejectedNamingIt) {
  Prechecker checker(Options(1024));
  std::string bad = kParent;
  bad.replace(bad.find("int main"), 3, "long");
  PrecheckVerdict v = checker.Check(parent_, Parse(bad));
  EXPECT_EQ(v.kind, PrecheckVerdict::Kind::kRejected);
  EXPECT_EQ(v.reason, "a.cc: fixed region 2 (outside EVOLVE-BLOCK markers) was changed");

  v = checker.Check(parent_, Parse(kParent, "b.cc"));
  EXPECT_EQ(v.reason, "file 1 is 'b.cc' in the child, 'a.cc' in the parent");

  v = checker.Check(parent_, ParsedProgram(Program{}));
  EXPECT_EQ(v.reason, "the child has 0 files, the parent 1");

  v = checker.Check(parent_, Parse("// EVOLVE-BLOCK-START\nx\n"));
  EXPECT_EQ(v.reason, "a.cc:1: EVOLVE-BLOCK-START is never closed by EVOLVE-BLOCK-END");

  v = checker.Check(parent_, Parse("double f;\n"));
  EXPECT_EQ(v.reason,
            "a.cc: the child has 1 EVOLVE-BLOCK regions, the parent 1; markers must not change");
}

TEST_F(PrecheckTest, TheSizeLimitIsCheckedBeforeTheFixedRegions) {
  Prechecker checker(Options(4));
  const PrecheckVerdict v = checker.Check(parent_, Parse(kParent, "b.cc"));
  EXPECT_EQ(v.reason.rfind("the program is ", 0), 0u) << v.reason;
}

TEST_F(PrecheckTest, AKnownHashIsADuplicateReusingTheFirstResult) {
  Prechecker checker(Options(1024));
  const ParsedProgram child = Parse(WithBody("double f(double x) { return x; }"));
  checker.MarkInFlight(child.hash(), 7);
  checker.MarkEvaluated(child.hash(), 7, Scored(0.5));
  checker.MarkEvaluated(child.hash(), 9, Scored(0.9));  // a later one does not replace it
  EXPECT_EQ(checker.known_count(), 1u);
  EXPECT_EQ(checker.in_flight_count(), 0u);
  // Comments and whitespace do not make a program new.
  const PrecheckVerdict v =
      checker.Check(parent_, Parse(WithBody("double f(double x) {  return x; }  // same")));
  EXPECT_EQ(v.kind, PrecheckVerdict::Kind::kDuplicate);
  EXPECT_EQ(v.outcome(), Outcome::kDuplicate);
  EXPECT_EQ(v.reason, "identical to candidate 7");
  EXPECT_EQ(v.duplicate_of, 7);
  ASSERT_TRUE(v.known_result.has_value());
  EXPECT_EQ(v.known_result->score, 0.5);
  EXPECT_EQ(v.known_result->metrics, (Metrics{{"m", 1.5}}));
  EXPECT_EQ(v.known_result->feedback, "fine");
  EXPECT_TRUE(v.known_result->artifacts.empty());
}

TEST_F(PrecheckTest, AChildInFlightMakesItsTwinADuplicateUntilItFinishes) {
  Prechecker checker(Options(1024));
  const ParsedProgram child = Parse(WithBody("double f(double x) { return x; }"));
  checker.MarkInFlight(child.hash(), 3);
  EXPECT_EQ(checker.in_flight_count(), 1u);
  PrecheckVerdict v = checker.Check(parent_, child);
  EXPECT_EQ(v.kind, PrecheckVerdict::Kind::kDuplicate);
  EXPECT_EQ(v.reason, "identical to candidate 3, which is being evaluated");
  EXPECT_EQ(v.duplicate_of, 3);
  EXPECT_FALSE(v.known_result.has_value());
  // Another child's result with the same hash (a resumed run's replay) does
  // not end child 3's flight, but makes the hash known.
  checker.MarkEvaluated(child.hash(), 2, Scored(0.1));
  EXPECT_EQ(checker.in_flight_count(), 1u);
  v = checker.Check(parent_, child);
  EXPECT_EQ(v.reason, "identical to candidate 2");
  checker.MarkEvaluated(child.hash(), 3, Scored(0.2));
  EXPECT_EQ(checker.in_flight_count(), 0u);
  EXPECT_EQ(checker.Check(parent_, child).duplicate_of, 2);
}

TEST_F(PrecheckTest, CheckSourceIgnoresKnownAndInFlightHashes) {
  Prechecker checker(Options(1024));
  const ParsedProgram child = Parse(WithBody("double f(double x) { return x; }"));
  checker.MarkInFlight(child.hash(), 3);
  EXPECT_TRUE(checker.CheckSource(parent_, child).passed());
  EXPECT_FALSE(checker.Check(parent_, child).passed());
}

TEST_F(PrecheckTest, ProposerThreadsCheckWhileTheOrchestratorUpdates) {
  Prechecker checker(Options(1 << 20));
  std::vector<ParsedProgram> children;
  for (int i = 0; i < 200; ++i) {
    children.push_back(Parse(WithBody("double f(double x) { return x + " + std::to_string(i) + "; }")));
  }
  // Readers see each child as new, in flight or known, whatever the
  // interleaving; what this test checks is that nothing tears (run it under
  // the tsan preset) and the tables end right.
  std::atomic<int> seen{0};
  std::vector<std::jthread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      for (const ParsedProgram& c : children) seen += checker.Check(parent_, c).passed() ? 0 : 1;
    });
  }
  for (int i = 0; i < 200; ++i) {
    checker.MarkInFlight(children[i].hash(), i);
    if (i % 2 == 0) checker.MarkEvaluated(children[i].hash(), i, Scored(i));
  }
  readers.clear();
  EXPECT_EQ(checker.known_count(), 100u);
  EXPECT_EQ(checker.in_flight_count(), 100u);
  for (int i = 0; i < 200; ++i) {
    const PrecheckVerdict v = checker.Check(parent_, children[i]);
    EXPECT_EQ(v.duplicate_of, i);
    EXPECT_EQ(v.known_result.has_value(), i % 2 == 0);
  }
}

TEST(PrecheckOptionsTest, ValidateNamesTheField) {
  PrecheckOptions o;
  EXPECT_TRUE(o.Validate().ok());
  o.max_program_bytes = 0;
  EXPECT_EQ(o.Validate().message(), "PrecheckOptions.max_program_bytes must be > 0");
}

}  // namespace
}  // namespace crucible
