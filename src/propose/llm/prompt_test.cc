#include "propose/llm/prompt.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace crucible {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

Candidate Make(CandidateId id, double score, std::string code) {
  Candidate c;
  c.id = id;
  c.program.files = {{"prog.py", std::move(code)}};
  c.result.outcome = Outcome::kOk;
  c.result.score = score;
  c.result.metrics = {{"err", 0.25}};
  c.result.feedback = "worst on instance 7";
  c.result.artifacts = {{"log.txt", std::string(10000, 'L')}};
  return c;
}

TEST(BuildPrompt, HoldsParentEvaluationInspirationsHistoryAndFormat) {
  auto t = PromptTemplates::Load("/nonexistent");
  ASSERT_TRUE(t.ok());
  Candidate parent = Make(5, 0.5, "# EVOLVE-BLOCK-START\nx = 1\n# EVOLVE-BLOCK-END\n");
  Candidate other = Make(9, 0.75, "x = 2\n");
  PromptInput in;
  in.parent = &parent;
  in.inspirations = {&other};
  in.history = {{12, "diff", "compile_error", std::nullopt, "SyntaxError line 3", ""}};
  in.task = "Approximate sin(x).";
  PromptLimits limits;
  limits.max_artifact_chars = 100;
  auto msgs = BuildPrompt(*t, in, limits);
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0].role, "system");
  EXPECT_THAT(msgs[0].content, HasSubstr("Approximate sin(x)."));
  EXPECT_THAT(msgs[0].content, HasSubstr("score to maximise"));
  const std::string& u = msgs[1].content;
  EXPECT_THAT(u, HasSubstr("Program #5 (score = 0.5)"));
  EXPECT_THAT(u, HasSubstr("x = 1"));
  EXPECT_THAT(u, HasSubstr("err=0.25"));
  EXPECT_THAT(u, HasSubstr("worst on instance 7"));
  EXPECT_THAT(u, HasSubstr("more characters cut"));  // the artifact is capped
  EXPECT_THAT(u, Not(HasSubstr(std::string(200, 'L'))));
  EXPECT_THAT(u, HasSubstr("Program #9 (top: at least as good as the current program; score = 0.75; "
                           "err=0.25), its evolvable code:"));
  EXPECT_THAT(u, HasSubstr("#12 (diff): compile_error - SyntaxError line 3"));
  EXPECT_THAT(u, HasSubstr("<<<<<<< SEARCH"));
  EXPECT_THAT(u, Not(HasSubstr("{{")));
  // Valid JSON for llm_calls.prompt.
  auto j = nlohmann::json::parse(MessagesToJson(msgs));
  EXPECT_EQ(j[1]["role"], "user");
}

TEST(BuildPrompt, AttemptsShowTheirChangeAndDeltaButNoInternalErrors) {
  auto t = PromptTemplates::Load("/nonexistent");
  ASSERT_TRUE(t.ok());
  Candidate parent = Make(5, 0.5, "import os\n# EVOLVE-BLOCK-START\nx = 1\n# EVOLVE-BLOCK-END\n");
  Candidate worse = Make(9, 0.25, "import os\n# EVOLVE-BLOCK-START\nx = 0\n# EVOLVE-BLOCK-END\n");
  PromptInput in;
  in.parent = &parent;
  in.inspirations = {&worse};
  in.grandparent_value = 0.75;
  in.scratchpad = "- raising x helped";
  Attempt good{13, "diff", "ok", 0.625, "", "Raise x a little."};
  Attempt failed{14, "rewrite", "rejected", std::nullopt,
                 "proposal failed: model 'm' at http://127.0.0.1:9/v1/chat/completions: the reply is "
                 "not JSON", ""};
  in.history = {good, failed};
  const std::string u = BuildPrompt(*t, in, PromptLimits{})[1].content;
  EXPECT_THAT(u, HasSubstr("#13 (diff: \"Raise x a little.\"): ok, score = 0.625 (+0.125, better)"));
  EXPECT_THAT(u, HasSubstr("#14 (rewrite): no usable change was made"));
  EXPECT_THAT(u, Not(HasSubstr("http://")));
  EXPECT_THAT(u, Not(HasSubstr("not JSON")));
  EXPECT_THAT(u, HasSubstr("It declined on its own parent (0.75 -> 0.5)."));
  EXPECT_THAT(u, HasSubstr("Program #9 (diverse: a different approach; score = 0.25"));
  EXPECT_THAT(u, Not(HasSubstr("import os\n# EVOLVE-BLOCK-START\nx = 0")));  // evolvable code only
  EXPECT_THAT(u, HasSubstr("# Notes from earlier in this run (what worked, what failed)\n- raising x helped"));
  EXPECT_THAT(u, HasSubstr("For example, a complete answer:"));
}

TEST(BuildPrompt, InspirationLabelsComeFromTheArchiveRuleThatPickedThem) {
  auto t = PromptTemplates::Load("/nonexistent");
  ASSERT_TRUE(t.ok());
  Candidate parent = Make(5, 0.5, "x = 1\n");
  // #9 is worse than the parent but was picked as one of the island's best
  // (a small island); #10 is better but was a diverse pick.
  Candidate best_ranked = Make(9, 0.25, "x = 0\n"), other_cell = Make(10, 0.75, "x = 3\n");
  PromptInput in;
  in.parent = &parent;
  in.inspirations = {&best_ranked, &other_cell};
  in.num_top = 1;
  const std::string u = BuildPrompt(*t, in, PromptLimits{})[1].content;
  EXPECT_THAT(u, HasSubstr("Program #9 (top: among the best programs so far; score = 0.25"));
  EXPECT_THAT(u, HasSubstr("Program #10 (diverse: a different approach; score = 0.75"));
  in.num_top = 0;  // every pick diverse
  EXPECT_THAT(BuildPrompt(*t, in, PromptLimits{})[1].content,
              HasSubstr("Program #9 (diverse: a different approach"));
}

TEST(BuildPrompt, CrossoverShowsBothParents) {
  auto t = PromptTemplates::Load("/nonexistent");
  Candidate a = Make(1, 0.1, "a = 1\n"), b = Make(2, 0.2, "b = 2\n");
  PromptInput in;
  in.mode = PatchMode::kCrossover;
  in.parent = &a;
  in.second_parent = &b;
  auto msgs = BuildPrompt(*t, in, {});
  EXPECT_THAT(msgs[1].content, HasSubstr("# Program B\nProgram #2"));
  EXPECT_THAT(msgs[1].content, HasSubstr("prog.py in a single fenced code block"));
}

Program Files(std::vector<SourceFile> files) {
  Program p;
  p.files = std::move(files);
  return p;
}

TEST(CompactChange, DescribesTheFirstChangedHunkInOneLine) {
  const Program before = Files({{"a.py", "x = 1\n    y = 2\nz = 3\n"}});
  EXPECT_EQ(CompactChange(before, Files({{"a.py", "x = 1\n    y = 5\nz = 3\n"}})),
            "changed `y = 2` to `y = 5`");
  EXPECT_EQ(CompactChange(before, Files({{"a.py", "x = 1\n    y = 2\nw = 0\nv = 0\nz = 3\n"}})),
            "added 2 lines starting `w = 0`");
  EXPECT_EQ(CompactChange(before, Files({{"a.py", "x = 1\nz = 3\n"}})),
            "removed 1 line starting `y = 2`");
  EXPECT_EQ(CompactChange(before, Files({{"a.py", "x = 1\na\nb\nz = 3\n"}})),
            "replaced 1 line starting `y = 2` with 2 starting `a`");
  EXPECT_EQ(CompactChange(before, before), "");
  // Long lines are cut; far-apart edits and other files are "and more".
  const std::string change =
      CompactChange(before, Files({{"a.py", "x = 1\n    y = " + std::string(300, '9') + "\nz = 3\n"}}));
  EXPECT_LT(change.size(), 200u);
  EXPECT_THAT(change, HasSubstr("...`"));
  const Program two = Files({{"a.py", "1\n"}, {"b.py", "2\n"}});
  EXPECT_EQ(CompactChange(two, Files({{"a.py", "3\n"}, {"b.py", "4\n"}})),
            "a.py: changed `1` to `3` (and more)");
  std::string many;
  for (int i = 0; i < 20; ++i) many += std::to_string(i) + "\n";
  std::string edited = many;
  edited.replace(0, 1, "A");
  edited.replace(edited.size() - 3, 2, "B");
  EXPECT_THAT(CompactChange(Files({{"a.py", many}}), Files({{"a.py", edited}})),
              HasSubstr("(and more)"));
}

TEST(FillTemplate, ReplacesKnownNamesOnceAndKeepsUnknown) {
  EXPECT_EQ(FillTemplate("a {{x}} {{y}} {{x}}", {{"x", "{{y}}"}}), "a {{y}} {{y}} {{y}}");
}

TEST(PromptTemplates, ProblemOverridesATemplate) {
  const std::string dir = ::testing::TempDir() + "/prompt_override";
  std::filesystem::create_directories(dir + "/prompts");
  std::ofstream(dir + "/prompts/diff.md") << "CUSTOM {{parent}}";
  auto t = PromptTemplates::Load(dir);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->diff, "CUSTOM {{parent}}");
  EXPECT_THAT(t->rewrite, HasSubstr("fenced code block"));
}

}  // namespace
}  // namespace crucible
