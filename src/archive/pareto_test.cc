#include "archive/pareto.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <set>

namespace crucible {
namespace {

std::set<CandidateId> Ids(const std::vector<ParetoMember>& members) {
  std::set<CandidateId> out;
  for (const ParetoMember& m : members) out.insert(m.id);
  return out;
}

TEST(ParetoTest, FitnessVectorNeedsEveryObjective) {
  EvalResult r;
  r.outcome = Outcome::kOk;
  r.score = 0.9;
  r.metrics = {{"ms", 12.0}};
  const std::vector<Objective> two = {{"score", Direction::kMaximize}, {"ms", Direction::kMinimize}};
  EXPECT_EQ(FitnessVector(two, r), (std::vector<double>{0.9, -12.0}));
  r.metrics.clear();
  EXPECT_EQ(FitnessVector(two, r), std::nullopt);
  r.metrics = {{"ms", 12.0}};
  r.outcome = Outcome::kInvalid;
  EXPECT_EQ(FitnessVector(two, r), std::nullopt);
}

TEST(ParetoTest, TheFrontIsTheNonDominatedMembers) {
  ParetoPopulation p(2);
  EXPECT_TRUE(p.Insert(1, {1, 1}));
  EXPECT_TRUE(p.Insert(2, {2, 0}));    // a trade-off
  EXPECT_FALSE(p.Insert(3, {0.5, 0.5}));  // dominated by 1
  EXPECT_TRUE(p.Insert(4, {0, 3}));
  EXPECT_EQ(Ids(p.Front()), (std::set<CandidateId>{1, 2, 4}));
  EXPECT_TRUE(p.Insert(5, {3, 3}));    // dominates everything
  EXPECT_EQ(Ids(p.Front()), (std::set<CandidateId>{5}));
  EXPECT_EQ(p.size(), 5u);  // the others stay, ranked lower
  EXPECT_FALSE(p.Insert(5, {9, 9}));  // once per id
  EXPECT_FALSE(p.Insert(6, {1, 2, 3}));  // wrong size
}

TEST(ParetoTest, OverflowDropsTheWorstRankFirst) {
  ParetoPopulation p(2, 3);
  p.Insert(1, {0, 0});
  p.Insert(2, {1, 1});
  p.Insert(3, {2, 2});
  p.Insert(4, {3, 0});
  // Capacity 3: {0,0} is the only member of the worst rank.
  EXPECT_FALSE(p.Contains(1));
  EXPECT_EQ(p.size(), 3u);
  EXPECT_EQ(Ids(p.Front()), (std::set<CandidateId>{3, 4}));
}

TEST(ParetoTest, TournamentPrefersLowRankAndIsSeeded) {
  ParetoPopulation p(2);
  p.Insert(1, {5, 5});
  for (int i = 2; i < 10; ++i) p.Insert(i, {0, static_cast<double>(i) / 100});
  std::map<CandidateId, int> wins;
  Rng rng(7);
  for (int i = 0; i < 2000; ++i) ++wins[p.Tournament(rng)];
  // Member 1 wins every tournament it is drawn in: about 1 - (8/9)^2 = 21%.
  EXPECT_GT(wins[1], 300);
  Rng a(3), b(3);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(p.Tournament(a), p.Tournament(b));
  EXPECT_EQ(ParetoPopulation(2).Tournament(a), kNoCandidate);
}

TEST(ParetoTest, CrowdingKeepsTheExtremes) {
  ParetoPopulation p(2, 4);
  p.Insert(1, {0, 10});
  p.Insert(2, {10, 0});
  p.Insert(3, {5, 5});
  p.Insert(4, {5.1, 4.9});
  p.Insert(5, {2, 8});
  // All on the front; the most crowded of the middle goes.
  EXPECT_EQ(p.size(), 4u);
  EXPECT_TRUE(p.Contains(1));
  EXPECT_TRUE(p.Contains(2));
  EXPECT_TRUE(p.Contains(5));
}

TEST(ParetoTest, HypervolumeAgainstAFixedReference) {
  // Two points, reference (0, 0): the union of [0,2]x[0,1] and [0,1]x[0,2] = 3.
  std::vector<ParetoMember> front = {{1, {2, 1}}, {2, {1, 2}}};
  EXPECT_DOUBLE_EQ(Hypervolume(front, {0, 0}), 3.0);
  // A point not beating the reference adds nothing.
  front.push_back({3, {-1, 5}});
  EXPECT_DOUBLE_EQ(Hypervolume(front, {0, 0}), 3.0);
  EXPECT_DOUBLE_EQ(Hypervolume({}, {0, 0}), 0.0);
}

TEST(ParetoTest, NonDominatedKeepsOneOfEqualVectors) {
  std::vector<ParetoMember> points = {{1, {1, 1}}, {2, {1, 1}}, {3, {0, 2}}, {4, {0, 0}}};
  EXPECT_EQ(Ids(NonDominated(points)), (std::set<CandidateId>{1, 3}));
}

}  // namespace
}  // namespace crucible
