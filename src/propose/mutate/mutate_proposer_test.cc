#include "propose/mutate/mutate_proposer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "core/hash.h"
#include "core/regions.h"
#include "core/rng.h"
#include "propose/mutate/test_sources.h"

namespace crucible {
namespace {

using ::testing::HasSubstr;
using testing_sources::StringsAndComments;

std::shared_ptr<const Candidate> MakeCandidate(CandidateId id, Program program) {
  auto c = std::make_shared<Candidate>();
  c->id = id;
  c->program = std::move(program);
  return c;
}

Program Prog(std::vector<std::pair<std::string, std::string_view>> files) {
  Program p;
  for (auto& [path, content] : files) p.files.push_back({path, std::string(content)});
  return p;
}

ProposalRequest Request(std::shared_ptr<const Candidate> parent, uint64_t seed,
                        std::vector<std::shared_ptr<const Candidate>> inspirations = {}) {
  ProposalRequest r;
  r.child_id = 100;
  r.seed = seed;
  r.parent = std::move(parent);
  r.inspirations = std::move(inspirations);
  return r;
}

MutateOptions OnlyOperators(std::map<std::string, double> weights, int max_operators = 3) {
  MutateOptions o;
  o.operator_weights = std::move(weights);
  o.max_operators = max_operators;
  return o;
}

// ---------------------------------------------------------------- options

TEST(MutateOptionsTest, DefaultsAreValid) { EXPECT_TRUE(MutateOptions().Validate().ok()); }

TEST(MutateOptionsTest, ErrorsNameTheField) {
  auto error = [](auto change) {
    MutateOptions o;
    change(o);
    const Status s = o.Validate();
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    return s.message();
  };
  EXPECT_THAT(error([](MutateOptions& o) { o.max_operators = 0; }), HasSubstr("max_operators"));
  EXPECT_THAT(error([](MutateOptions& o) { o.max_attempts = 0; }), HasSubstr("max_attempts"));
  EXPECT_THAT(error([](MutateOptions& o) { o.float_sigma = 0; }), HasSubstr("float_sigma"));
  EXPECT_THAT(error([](MutateOptions& o) { o.float_sigma = NAN; }), HasSubstr("float_sigma"));
  EXPECT_THAT(error([](MutateOptions& o) { o.operator_weights["swap_line"] = 1; }),
              HasSubstr("operator_weights: unknown operator 'swap_line'"));
  EXPECT_THAT(error([](MutateOptions& o) { o.operator_weights["delete_line"] = -1; }),
              HasSubstr("operator_weights['delete_line']"));
  EXPECT_THAT(error([](MutateOptions& o) {
                for (auto& [name, w] : o.operator_weights) w = 0;
              }),
              HasSubstr("at least one operator"));
}

TEST(MutateProposerTest, InvalidOptionsAreReportedByPropose) {
  MutateOptions o;
  o.max_attempts = 0;
  MutateProposer proposer(o);
  auto r = proposer.Propose(Request(MakeCandidate(1, Prog({{"a.py", "x = 1\n"}})), 1), {});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("max_attempts"));
}

// ---------------------------------------------------------------- errors

TEST(MutateProposerTest, NothingToMutateIsInvalidArgument) {
  auto proposer = MakeMutateProposer(MutateOptions());
  const std::string empty_regions = "a = 1\n# EVOLVE-BLOCK-START\n# EVOLVE-BLOCK-END\n";
  for (const Program& p : {Prog({}), Prog({{"a.py", empty_regions}})}) {
    auto r = proposer->Propose(Request(MakeCandidate(7, p), 1), {});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(r.status().message(), HasSubstr("parent candidate 7 has no"));
  }
  auto r = proposer->Propose(Request(nullptr, 1), {});
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);

  // Only comments and strings: no operator applies.
  r = proposer->Propose(
      Request(MakeCandidate(8, Prog({{"a.cc", "return \"3 * 4\";  // 1 + 2\n"}})), 1), {});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("no mutation operator applies"));

  r = proposer->Propose(
      Request(MakeCandidate(9, Prog({{"a.py", "# EVOLVE-BLOCK-START\nx = 1\n"}})), 1), {});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("never closed"));
}

TEST(MutateProposerTest, StopRequestedIsCancelled) {
  auto proposer = MakeMutateProposer(MutateOptions());
  std::stop_source stop;
  stop.request_stop();
  auto r = proposer->Propose(Request(MakeCandidate(1, Prog({{"a.py", "x = 1\n"}})), 1),
                             stop.get_token());
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
}

// ---------------------------------------------------------------- behaviour

TEST(MutateProposerTest, RecordsProposalInfo) {
  auto proposer = MakeMutateProposer(OnlyOperators({{"perturb_constant", 1}}, 1));
  const auto parent = MakeCandidate(1, Prog({{"x.cc", "int a;\nint f() {\n  return 10;\n}\n"}}));
  auto r = proposer->Propose(Request(parent, 42), {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->info.proposer, "mutate");
  EXPECT_THAT(r->info.operators, ::testing::ElementsAre("perturb_constant"));
  const auto detail = nlohmann::json::parse(r->info.detail_json);
  EXPECT_EQ(detail["file"], "x.cc");
  EXPECT_EQ(detail["attempt"], 1);
  ASSERT_EQ(detail["edits"].size(), 1u);
  const auto& e = detail["edits"][0];
  EXPECT_EQ(e["op"], "perturb_constant");
  EXPECT_EQ(e["line"], 3);
  EXPECT_EQ(e["from"], "10");
  EXPECT_EQ(r->program.files[0].content,
            "int a;\nint f() {\n  return " + e["to"].get<std::string>() + ";\n}\n");
  EXPECT_EQ(r->program.files[0].path, "x.cc");
}

TEST(MutateProposerTest, SameSeedSameChildDifferentSeedsDifferentChildren) {
  auto proposer = MakeMutateProposer(MutateOptions());
  const auto parent = MakeCandidate(
      1, Prog({{"s.cc", testing_sources::kCppSource}, {"s.py", testing_sources::kPythonSource}}));
  const auto inspiration = MakeCandidate(
      2, Prog({{"s.cc", testing_sources::kCppSource}, {"s.py", testing_sources::kPythonSource}}));
  std::set<uint64_t> hashes;
  for (uint64_t seed = 0; seed < 50; ++seed) {
    auto a = proposer->Propose(Request(parent, seed, {inspiration}), {});
    auto b = proposer->Propose(Request(parent, seed, {inspiration}), {});
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(a->program, b->program);
    EXPECT_EQ(a->info.operators, b->info.operators);
    EXPECT_EQ(a->info.detail_json, b->info.detail_json);
    hashes.insert(NormalizedProgramHash(a->program));
  }
  EXPECT_GE(hashes.size(), 45u);
  EXPECT_FALSE(hashes.count(NormalizedProgramHash(parent->program)));
}

TEST(MutateProposerTest, OperatorCountAndWeightsAreRespected) {
  auto proposer = MakeMutateProposer(OnlyOperators({{"replace_operator", 1}}, 2));
  const auto parent = MakeCandidate(1, Prog({{"s.py", testing_sources::kPythonSource}}));
  std::set<size_t> counts;
  for (uint64_t seed = 0; seed < 100; ++seed) {
    auto r = proposer->Propose(Request(parent, seed), {});
    ASSERT_TRUE(r.ok());
    counts.insert(r->info.operators.size());
    for (const std::string& op : r->info.operators) EXPECT_EQ(op, "replace_operator");
  }
  EXPECT_THAT(counts, ::testing::UnorderedElementsAre(1u, 2u));
}

TEST(MutateProposerTest, CrossoverUsesAnInspiration) {
  auto proposer = MakeMutateProposer(OnlyOperators({{"crossover", 1}}, 1));
  const auto parent = MakeCandidate(1, Prog({{"a.py", "x = 1\n"}}));
  const auto other = MakeCandidate(5, Prog({{"a.py", "x = 2\ny = 3\n"}}));
  auto r = proposer->Propose(Request(parent, 3, {other}), {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(r->info.operators, ::testing::ElementsAre("crossover"));
  const auto e = nlohmann::json::parse(r->info.detail_json)["edits"][0];
  EXPECT_EQ(e["inspiration_id"], 5);
  EXPECT_EQ(e["region"], 0);
  // Without inspirations (or with ones lacking the file) nothing applies.
  EXPECT_FALSE(proposer->Propose(Request(parent, 3), {}).ok());
  const auto unrelated = MakeCandidate(6, Prog({{"b.py", "z = 1\n"}}));
  EXPECT_FALSE(proposer->Propose(Request(parent, 3, {unrelated}), {}).ok());
}

TEST(MutateProposerTest, ThreadsGetTheSameResultsAsSequentialCalls) {
  auto proposer = MakeMutateProposer(MutateOptions());
  const auto parent = MakeCandidate(1, Prog({{"s.cc", testing_sources::kCppSource}}));
  constexpr int kSeeds = 40;
  std::vector<Program> expected;
  for (int s = 0; s < kSeeds; ++s)
    expected.push_back(proposer->Propose(Request(parent, s), {})->program);
  std::vector<std::vector<Program>> got(4);
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int s = 0; s < kSeeds; ++s)
          got[t].push_back(proposer->Propose(Request(parent, s), {})->program);
      });
    }
  }
  for (int t = 0; t < 4; ++t) EXPECT_EQ(got[t], expected);
}

// ---------------------------------------------------------------- invariants

// Texts of all strings and comments of a program.
std::set<std::string> StringTexts(const Program& p) {
  std::set<std::string> out;
  for (const SourceFile& f : p.files) {
    for (auto& s : StringsAndComments(f.content, LanguageForPath(f.path))) out.insert(s);
  }
  return out;
}

// Random walks of evolution over several multi-file, multi-region programs:
// every child keeps its parent's fixed regions and markers byte for byte,
// never gains a string or comment text that neither parent had, and, when
// only token-level operators ran, keeps every string and comment exactly.
TEST(MutateProposerTest, RandomizedInvariants) {
  auto proposer = MakeMutateProposer(MutateOptions());
  const std::vector<Program> bases = {
      Prog({{"solver.cc", testing_sources::kCppSource},
            {"helper.py", testing_sources::kPythonSource}}),
      Prog({{"main.py", testing_sources::kPythonSource}}),
      Prog({{"f.cc", testing_sources::kCppNoMarkers}, {"g.cc", testing_sources::kCppSource}}),
  };
  Rng rng(2024);
  int proposals = 0;
  for (const Program& base : bases) {
    std::vector<std::shared_ptr<const Candidate>> population = {MakeCandidate(0, base)};
    for (int iter = 1; iter <= 1200; ++iter) {
      const auto parent = population[rng.Uniform(population.size())];
      std::vector<std::shared_ptr<const Candidate>> inspirations;
      for (int k = 0; k < 2; ++k)
        inspirations.push_back(population[rng.Uniform(population.size())]);
      auto r = proposer->Propose(Request(parent, rng.Next(), inspirations), {});
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      ++proposals;
      const Program& child = r->program;
      ASSERT_TRUE(CheckProgramFixedRegions(parent->program, child).ok())
          << CheckProgramFixedRegions(parent->program, child).ToString() << "\n"
          << r->info.detail_json;
      ASSERT_TRUE(CheckProgramFixedRegions(base, child).ok());

      const auto& ops = r->info.operators;
      ASSERT_GE(ops.size(), 1u);
      ASSERT_LE(ops.size(), 3u);
      const auto detail = nlohmann::json::parse(r->info.detail_json);
      ASSERT_EQ(detail["edits"].size(), ops.size());
      for (size_t k = 0; k < ops.size(); ++k) ASSERT_EQ(detail["edits"][k]["op"], ops[k]);

      const bool crossover = std::count(ops.begin(), ops.end(), "crossover") > 0;
      std::set<std::string> allowed = StringTexts(parent->program);
      if (crossover) {
        for (const auto& c : inspirations) {
          const auto more = StringTexts(c->program);
          allowed.insert(more.begin(), more.end());
        }
      }
      for (const std::string& s : StringTexts(child)) {
        ASSERT_TRUE(allowed.count(s))
            << "new string/comment '" << s << "' via " << r->info.detail_json;
      }
      const bool token_only = std::all_of(ops.begin(), ops.end(), [](const std::string& op) {
        return op == "perturb_constant" || op == "replace_operator";
      });
      if (token_only) {
        for (size_t f = 0; f < child.files.size(); ++f) {
          const Language lang = LanguageForPath(child.files[f].path);
          ASSERT_EQ(StringsAndComments(child.files[f].content, lang),
                    StringsAndComments(parent->program.files[f].content, lang))
              << r->info.detail_json;
        }
      }
      EXPECT_NE(NormalizedProgramHash(child), NormalizedProgramHash(parent->program));
      auto next = MakeCandidate(iter, child);
      if (population.size() < 24) {
        population.push_back(next);
      } else {
        population[rng.Uniform(population.size())] = next;
      }
    }
  }
  EXPECT_EQ(proposals, 3600);
}

}  // namespace
}  // namespace crucible
