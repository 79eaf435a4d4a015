#include "propose/llm/llm_proposer.h"

#include <gmock/gmock.h>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>

namespace crucible {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Chat replies from a queue (the last one repeats); embeddings all equal.
class FakeTransport final : public HttpTransport {
 public:
  HttpResponse Post(const HttpRequest& request, std::stop_token) override {
    std::lock_guard lock(mu);
    HttpResponse r;
    r.status = 200;
    if (request.url.ends_with("/embeddings")) {
      ++embedding_requests;
      r.body = R"({"data": [{"embedding": [1.0, 0.0, 2.0]}]})";
      return r;
    }
    bodies.push_back(request.body);
    const std::string text = replies.front();
    if (replies.size() > 1) replies.pop_front();
    if (text.starts_with("HTTP ")) {  // "HTTP <status> <body>": a whole reply as given
      r.status = std::stol(text.substr(5, 3));
      r.body = text.substr(9);
      return r;
    }
    r.body = nlohmann::json({{"choices", {{{"message", {{"content", text}}}}}},
                             {"usage", {{"prompt_tokens", 100}, {"completion_tokens", 20}}}})
                 .dump();
    return r;
  }
  std::mutex mu;
  std::deque<std::string> replies;
  std::vector<std::string> bodies;
  int embedding_requests = 0;
};

std::string Diff(const std::string& from, const std::string& to) {
  return "<<<<<<< SEARCH\n" + from + "\n=======\n" + to + "\n>>>>>>> REPLACE\n";
}

class LlmProposerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    parent_ = std::make_shared<Candidate>();
    parent_->id = 0;
    parent_->program.files = {{"p.py", "import os\n# EVOLVE-BLOCK-START\nC = 1\n# EVOLVE-BLOCK-END\n"}};
    parent_->result.outcome = Outcome::kOk;
    parent_->result.score = 1;
    options_.base_url = "http://127.0.0.1:9/v1";
    options_.models = {ModelSpec{}};
    options_.models[0].name = "m";
    options_.models[0].price_input_per_m = 1e6;  // 1 per token, for easy sums
    options_.diff_weight = 1;
    options_.rewrite_weight = 0;
    options_.crossover_weight = 0;
    options_.novelty_threshold = 1.0;
  }

  std::unique_ptr<LlmProposer> Make() {
    auto t = std::make_unique<FakeTransport>();
    transport_ = t.get();
    for (const std::string& r : replies_) t->replies.push_back(r);
    auto p = LlmProposer::Create(options_,
                                 LlmProblemContext{"/nonexistent", "task",
                                                   Objective{"score", Direction::kMaximize}},
                                 std::move(t));
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return std::move(p).value();
  }

  ProposalRequest Request(CandidateId id) {
    ProposalRequest r;
    r.child_id = id;
    r.seed = 100 + id;
    r.parent = parent_;
    return r;
  }

  // The result of child `id` (made from `proposal`) reaches the proposer, as
  // the engine reports every finished child.
  void Report(LlmProposer& p, CandidateId id, const Proposal& proposal, Outcome outcome) {
    Candidate child = *parent_;
    child.id = id;
    child.parent_id = parent_->id;
    child.program = proposal.program;
    child.result.outcome = outcome;
    p.OnResult(child, std::nullopt, 1.0, false);
  }

  std::shared_ptr<Candidate> parent_;
  LlmOptions options_;
  std::vector<std::string> replies_;
  FakeTransport* transport_ = nullptr;
};

TEST_F(LlmProposerTest, ReasksWithTheErrorAndRecordsEveryAttempt) {
  replies_ = {"no edit here", Diff("import os", "import sys"), Diff("C = 1", "C = 2")};
  auto p = Make();
  auto proposal = p->Propose(Request(5), {});
  ASSERT_TRUE(proposal.ok()) << proposal.status().ToString();
  EXPECT_THAT(proposal->program.files[0].content, HasSubstr("C = 2"));
  EXPECT_THAT(proposal->program.files[0].content, HasSubstr("import os"));
  ProposerCheckpoint cp = p->TakeCheckpoint();
  ASSERT_EQ(cp.calls.size(), 3u);
  EXPECT_EQ(cp.calls[0].outcome, "empty");
  EXPECT_EQ(cp.calls[1].outcome, "patch_failed");
  EXPECT_THAT(cp.calls[1].error, HasSubstr("refused"));
  EXPECT_EQ(cp.calls[2].outcome, "applied");
  EXPECT_EQ(cp.calls[2].candidate_id, 5);
  EXPECT_EQ(cp.calls[1].candidate_id, kNoCandidate);
  EXPECT_EQ(cp.calls[2].attempt, 3);
  // The third request showed the model its refused edit and why.
  EXPECT_THAT(transport_->bodies[2], HasSubstr("refused"));
  auto detail = nlohmann::json::parse(proposal->info.detail_json);
  EXPECT_EQ(detail["calls"], nlohmann::json({1, 2, 3}));
  EXPECT_EQ(detail["prompt_tokens"], 300);
  EXPECT_EQ(detail["mode"], "diff");
  EXPECT_EQ(p->tokens_used(), 360);
  EXPECT_DOUBLE_EQ(p->cost_used(), 300);
  ASSERT_TRUE(cp.state.contains("llm"));
}

TEST_F(LlmProposerTest, FailsAfterMaxReasks) {
  replies_ = {Diff("nothing like this", "x")};
  options_.max_reasks = 1;
  auto p = Make();
  auto proposal = p->Propose(Request(1), {});
  ASSERT_FALSE(proposal.ok());
  EXPECT_EQ(proposal.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(proposal.status().message(), HasSubstr("after 2 attempts"));
  EXPECT_EQ(p->TakeCheckpoint().calls.size(), 2u);
}

TEST_F(LlmProposerTest, NearCopiesAreRejectedBeforeEvaluationByEmbeddings) {
  replies_ = {Diff("C = 1", "C = 2"), Diff("C = 1", "C = 3"), Diff("C = 1", "C = 4")};
  options_.novelty_threshold = 0.99;
  options_.embeddings_model = "emb";
  options_.max_reasks = 0;
  auto p = Make();
  auto first = p->Propose(Request(1), {});
  ASSERT_TRUE(first.ok());
  Candidate child = *parent_;
  child.id = 1;
  child.parent_id = 0;
  child.program = first->program;
  p->OnResult(child, 2.0, 1.0, false);
  // Every embedding is the same vector: the next child counts as a copy.
  auto second = p->Propose(Request(2), {});
  ASSERT_FALSE(second.ok());
  auto calls = p->TakeCheckpoint().calls;
  EXPECT_EQ(calls.back().outcome, "novelty_rejected");
  EXPECT_THAT(calls.back().error, HasSubstr("embedding cosine"));
  EXPECT_GE(transport_->embedding_requests, 2);
}

TEST_F(LlmProposerTest, TokenBudgetRefusesRequestsThatCouldExceedIt) {
  replies_ = {Diff("C = 1", "C = 2")};
  options_.max_tokens = 1000;
  options_.models[0].max_tokens = 40;  // asked in full, never cut to fit
  options_.novelty_threshold = 1.0;
  auto p = Make();
  int ok = 0;
  Status last;
  for (int i = 1; i <= 20; ++i) {
    auto r = p->Propose(Request(i), {});
    if (r.ok()) {
      ++ok;
      Report(*p, i, *r, Outcome::kDuplicate);  // no longer in flight
    } else {
      last = r.status();
    }
    if (!r.ok() && r.status().code() == StatusCode::kResourceExhausted) break;
  }
  EXPECT_EQ(last.code(), StatusCode::kResourceExhausted);
  EXPECT_THAT(last.message(), HasSubstr("token budget of 1000 is spent"));
  EXPECT_LE(p->tokens_used(), 1000);
  EXPECT_GT(ok, 2);
  // The budget survives a restart through the persisted state.
  ProposerCheckpoint cp = p->TakeCheckpoint();
  EXPECT_EQ(cp.calls.back().outcome, "budget_exhausted");
  auto q = Make();
  ASSERT_TRUE(q->RestoreState(cp.state).ok());
  EXPECT_EQ(q->tokens_used(), p->tokens_used());
  EXPECT_EQ(q->Propose(Request(30), {}).status().code(), StatusCode::kResourceExhausted);
}

TEST_F(LlmProposerTest, ChildrenInFlightAreNotProposedAgain) {
  std::string block;
  for (int i = 0; i < 60; ++i) block += "v" + std::to_string(i) + " = " + std::to_string(i) + "\n";
  parent_->program.files = {{"p.py", "# EVOLVE-BLOCK-START\n" + block + "C = 1\n# EVOLVE-BLOCK-END\n"}};
  // The second reply is a near-copy of the first (one constant), the third
  // the first again.
  replies_ = {Diff("C = 1", "C = 2"), Diff("C = 1", "C = 3"), Diff("C = 1", "C = 2")};
  options_.novelty_threshold = 0.95;
  options_.max_reasks = 0;
  auto p = Make();
  auto first = p->Propose(Request(1), {});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  // #1 is still being evaluated: a near-copy of it is refused before any
  // evaluation, though no evaluated program resembles it.
  auto second = p->Propose(Request(2), {});
  ASSERT_FALSE(second.ok());
  auto calls = p->TakeCheckpoint().calls;
  EXPECT_EQ(calls.back().outcome, "novelty_rejected");
  EXPECT_THAT(calls.back().error, HasSubstr("similar to program #1, a child still being evaluated"));
  // Once #1 failed (not ok), it is no longer a program to avoid.
  Report(*p, 1, *first, Outcome::kRuntimeError);
  auto third = p->Propose(Request(3), {});
  EXPECT_TRUE(third.ok()) << third.status().ToString();
}

TEST_F(LlmProposerTest, ChildrenPendingFromBeforeAResumeAreHeldToo) {
  std::string block;
  for (int i = 0; i < 60; ++i) block += "v" + std::to_string(i) + " = " + std::to_string(i) + "\n";
  parent_->program.files = {{"p.py", "# EVOLVE-BLOCK-START\n" + block + "C = 1\n# EVOLVE-BLOCK-END\n"}};
  // #7 was made by the killed session and is evaluated again after the
  // resume; this session's proposer never checked it.
  Candidate pending = *parent_;
  pending.id = 7;
  pending.parent_id = parent_->id;
  pending.program.files[0].content.replace(pending.program.files[0].content.find("C = 1"), 5, "C = 2");
  replies_ = {Diff("C = 1", "C = 3"), Diff("C = 1", "C = 3")};
  options_.novelty_threshold = 0.95;
  options_.max_reasks = 0;
  auto p = Make();
  p->OnRestoredInFlight(pending);
  auto near_copy = p->Propose(Request(8), {});
  ASSERT_FALSE(near_copy.ok());
  auto calls = p->TakeCheckpoint().calls;
  EXPECT_EQ(calls.back().outcome, "novelty_rejected");
  EXPECT_THAT(calls.back().error, HasSubstr("similar to program #7, a child still being evaluated"));
  // Its result releases it like any child's.
  pending.result.outcome = Outcome::kRuntimeError;
  p->OnResult(pending, std::nullopt, 1.0, false);
  EXPECT_TRUE(p->Propose(Request(9), {}).ok());
}

class NoveltyJudgeTest : public LlmProposerTest {
 protected:
  void SetUp() override {
    LlmProposerTest::SetUp();
    std::string block;
    for (int i = 0; i < 60; ++i) block += "v" + std::to_string(i) + " = " + std::to_string(i) + "\n";
    parent_->program.files = {{"p.py", "import os\n# EVOLVE-BLOCK-START\n" + block +
                                           "C = 1\n# EVOLVE-BLOCK-END\n"}};
    options_.novelty_threshold = 0.9;  // a one-constant change is a near-copy
    options_.novelty_judge = true;
    options_.retries = 0;
    options_.max_reasks = 1;
  }
  // The parent, evaluated, as the engine reports the initial program.
  std::unique_ptr<LlmProposer> MakeWithParent() {
    auto p = Make();
    Candidate initial = *parent_;
    initial.parent_id = kNoCandidate;
    p->OnResult(initial, 1.0, std::nullopt, false);
    return p;
  }
  static std::vector<LlmCallRecord> Judged(const std::vector<LlmCallRecord>& calls) {
    std::vector<LlmCallRecord> out;
    for (const LlmCallRecord& c : calls) {
      if (c.mode == "novelty_judge") out.push_back(c);
    }
    return out;
  }
};

TEST_F(NoveltyJudgeTest, ItsVerdictRefusesOrLetsANearCopyThrough) {
  replies_ = {Diff("C = 1", "C = 2"), "Only C changed.\nVERDICT: SAME", Diff("C = 1", "C = 3"),
              "A different constant.\n**VERDICT: DIFFERENT**"};
  auto p = MakeWithParent();
  auto r = p->Propose(Request(1), {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(r->program.files[0].content, HasSubstr("C = 3"));
  const std::vector<LlmCallRecord> calls = p->TakeCheckpoint().calls;
  ASSERT_EQ(calls.size(), 4u);
  EXPECT_EQ(calls[0].mode, "novelty_judge");
  EXPECT_EQ(calls[0].outcome, "not_novel");
  EXPECT_THAT(calls[0].prompt, HasSubstr("# The existing program (#0)"));
  EXPECT_THAT(calls[0].prompt, Not(HasSubstr("import os")));  // evolvable code only
  EXPECT_EQ(calls[1].outcome, "novelty_rejected");
  EXPECT_THAT(calls[1].error, HasSubstr("the novelty judge found no meaningful difference"));
  EXPECT_EQ(calls[2].outcome, "novel");
  EXPECT_EQ(calls[3].outcome, "applied");
  auto detail = nlohmann::json::parse(r->info.detail_json);
  EXPECT_EQ(detail["calls"], nlohmann::json({1, 2, 3, 4}));
  ASSERT_EQ(detail["novelty_judge"].size(), 2u);
  EXPECT_EQ(detail["novelty_judge"][0]["verdict"], "same");
  EXPECT_EQ(detail["novelty_judge"][1]["verdict"], "different");
  EXPECT_EQ(detail["novelty_judge"][1]["against"], 0);
  // Judge calls are charged like any other (120 tokens each here).
  EXPECT_EQ(p->tokens_used(), 4 * 120);
  EXPECT_EQ(detail["prompt_tokens"], 400);
}

TEST_F(NoveltyJudgeTest, NoVerdictOrAFailedJudgeKeepsTheChild) {
  replies_ = {Diff("C = 1", "C = 2"), "Hard to say, they look alike.", Diff("C = 1", "C = 5"),
              "HTTP 500 {\"error\": {\"message\": \"judge down\"}}"};
  options_.stop_after_failures = 1;  // judge failures must not trip the breaker
  auto p = MakeWithParent();
  auto first = p->Propose(Request(1), {});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  // #2 is near #1 (in flight) and #0; judged against one of them, and the
  // judge's request fails.
  auto second = p->Propose(Request(2), {});
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_THAT(second->program.files[0].content, HasSubstr("C = 5"));
  const std::vector<LlmCallRecord> judged = Judged(p->TakeCheckpoint().calls);
  ASSERT_EQ(judged.size(), 2u);
  EXPECT_EQ(judged[0].outcome, "malformed_response");
  EXPECT_EQ(judged[1].outcome, "http_error");
  auto detail = nlohmann::json::parse(second->info.detail_json);
  ASSERT_EQ(detail["novelty_judge"].size(), 1u);
  EXPECT_EQ(detail["novelty_judge"][0]["verdict"], "none");
  // #1 (in flight on the child's island) and #0 are equally similar: #1 is met first.
  EXPECT_EQ(detail["novelty_judge"][0]["against"], 1);
}

TEST_F(NoveltyJudgeTest, IdenticalProgramsAreNeverJudged) {
  replies_ = {Diff("C = 1", "C = 2"), "VERDICT: DIFFERENT", Diff("C = 1", "C = 2")};
  options_.max_reasks = 0;
  auto p = MakeWithParent();
  ASSERT_TRUE(p->Propose(Request(1), {}).ok());
  auto again = p->Propose(Request(2), {});  // identical to #1, in flight
  ASSERT_FALSE(again.ok());
  const std::vector<LlmCallRecord> calls = p->TakeCheckpoint().calls;
  EXPECT_EQ(Judged(calls).size(), 1u);
  EXPECT_THAT(calls.back().error, HasSubstr("identical to program #1"));
}

TEST(NoveltyVerdict, ParsesTheLastVerdictLine) {
  EXPECT_EQ(ParseNoveltyVerdict("reasons\nVERDICT: DIFFERENT"), true);
  EXPECT_EQ(ParseNoveltyVerdict("verdict: same."), false);
  EXPECT_EQ(ParseNoveltyVerdict("VERDICT: SAME\nno wait\n**Verdict:** `different`"), true);
  EXPECT_EQ(ParseNoveltyVerdict("VERDICT: SAME or DIFFERENT"), std::nullopt);
  EXPECT_EQ(ParseNoveltyVerdict("VERDICT: MAYBE"), std::nullopt);
  EXPECT_EQ(ParseNoveltyVerdict("they are different"), std::nullopt);
  EXPECT_EQ(ParseNoveltyVerdict(""), std::nullopt);
}

TEST(LlmOptionsTest, JudgeModelMustBeConfigured) {
  LlmOptions o;
  o.base_url = "http://127.0.0.1:9/v1";
  o.models = {ModelSpec{}};
  o.models[0].name = "m";
  o.novelty_judge_model = "judge";
  EXPECT_THAT(o.Validate().message(), HasSubstr("llm.novelty.judge_model: 'judge'"));
  o.novelty_judge_model = "m";
  EXPECT_TRUE(o.Validate().ok());
}

std::string Body(const nlohmann::json& message, const char* finish = "stop") {
  return "HTTP 200 " + nlohmann::json({{"choices", {{{"message", message}, {"finish_reason", finish}}}},
                                      {"usage", {{"prompt_tokens", 10}, {"completion_tokens", 5}}}})
                           .dump();
}

TEST_F(LlmProposerTest, ReasoningIsKeptButNeverParsed) {
  // The draft in the reasoning comes first and would apply; the answer wins.
  replies_ = {Body({{"content", "<think>draft:\n" + Diff("C = 1", "C = -999") + "</think>\n" +
                                    "Bigger.\n" + Diff("C = 1", "C = 2")},
                    {"reasoning_content", "also " + Diff("C = 1", "C = -998")}})};
  auto p = Make();
  auto proposal = p->Propose(Request(1), {});
  ASSERT_TRUE(proposal.ok()) << proposal.status().ToString();
  EXPECT_THAT(proposal->program.files[0].content, HasSubstr("C = 2\n"));
  auto calls = p->TakeCheckpoint().calls;
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_TRUE(calls[0].response.starts_with("<think>\nalso")) << calls[0].response;
  EXPECT_THAT(calls[0].response, HasSubstr("C = -999"));
  EXPECT_EQ(nlohmann::json::parse(proposal->info.detail_json)["summary"], "Bigger.");
}

TEST_F(LlmProposerTest, AnAttemptWithoutASummaryShowsItsChangeInLaterPrompts) {
  // A model that answers with the block only: later prompts still say what
  // was tried (a compact diff), not only how it came out.
  replies_ = {Diff("C = 1", "C = 2"), Diff("C = 1", "C = 3")};
  auto p = Make();
  auto first = p->Propose(Request(1), {});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  const auto detail = nlohmann::json::parse(first->info.detail_json);
  EXPECT_EQ(detail["summary"], "");
  EXPECT_EQ(detail["change"], "changed `C = 1` to `C = 2`");
  Candidate child = *parent_;
  child.id = 1;
  child.parent_id = parent_->id;
  child.program = first->program;
  child.proposal = first->info;
  child.result.score = 2;
  p->OnResult(child, 2.0, 1.0, false);
  ASSERT_TRUE(p->Propose(Request(2), {}).ok());
  ASSERT_EQ(transport_->bodies.size(), 2u);
  const std::string user =
      nlohmann::json::parse(transport_->bodies[1])["messages"][1]["content"].get<std::string>();
  EXPECT_THAT(user, HasSubstr("- #1 (diff: \"changed `C = 1` to `C = 2`\"): ok, score = 2 (+1, better)"));
}

TEST_F(LlmProposerTest, AScratchpadRequestTooLongForTheContextShedsOlderAttempts) {
  // The notebook request lists the recent attempts; a model with a small
  // context refuses it, and the request is made again with the newest
  // quarter of them, then none, until a note comes back.
  options_.scratchpad_every = 8;
  const std::string overflow =
      R"(HTTP 400 {"object": "error", "message": "This model's maximum context length is 512 tokens. However, you requested 900 tokens", "code": 400})";
  for (int i = 1; i <= 8; ++i) replies_.push_back(Diff("C = 1", fmt::format("C = {}", i + 1)));
  replies_.insert(replies_.end(), {overflow, overflow, "- keep C growing", Diff("C = 1", "C = 99")});
  auto p = Make();
  for (CandidateId id = 1; id <= 8; ++id) {
    auto proposal = p->Propose(Request(id), {});
    ASSERT_TRUE(proposal.ok()) << proposal.status().ToString();
    Candidate child = *parent_;
    child.id = id;
    child.parent_id = parent_->id;
    child.program = proposal->program;
    child.proposal = proposal->info;
    child.result.score = 1 + id;
    p->OnResult(child, 1.0 + id, 1.0, false);
  }
  ASSERT_TRUE(p->Propose(Request(9), {}).ok());
  ASSERT_EQ(transport_->bodies.size(), 12u);
  auto attempts_in = [&](size_t body) {
    const std::string user = nlohmann::json::parse(transport_->bodies[body])["messages"][1]["content"];
    EXPECT_THAT(user, HasSubstr("notebook"));
    int n = 0;
    for (size_t at = user.find("\n- #"); at != std::string::npos; at = user.find("\n- #", at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(attempts_in(8), 8);
  EXPECT_EQ(attempts_in(9), 2);
  EXPECT_EQ(attempts_in(10), 0);
  const std::string next = nlohmann::json::parse(transport_->bodies[11])["messages"][1]["content"];
  EXPECT_THAT(next, HasSubstr("- keep C growing"));
}

TEST_F(LlmProposerTest, TruncatedRepliesAreNeverAppliedAndAreReasked) {
  replies_ = {Body({{"content", Diff("C = 1", "C = 3")}}, "length"),
              Body({{"content", Diff("C = 1", "C = 2")}})};
  auto p = Make();
  auto proposal = p->Propose(Request(1), {});
  ASSERT_TRUE(proposal.ok()) << proposal.status().ToString();
  EXPECT_THAT(proposal->program.files[0].content, HasSubstr("C = 2\n"));
  auto calls = p->TakeCheckpoint().calls;
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].outcome, "truncated");
  EXPECT_THAT(transport_->bodies[1], HasSubstr("cut off"));
}

TEST_F(LlmProposerTest, RepeatedFailuresOfOneKindStopTheRun) {
  replies_ = {"HTTP 400 {\"error\": {\"message\": \"bad parameter\"}}"};
  options_.stop_after_failures = 3;
  auto p = Make();
  EXPECT_EQ(p->Propose(Request(1), {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(p->Propose(Request(2), {}).status().code(), StatusCode::kInvalidArgument);
  auto third = p->Propose(Request(3), {});
  EXPECT_EQ(third.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(third.status().message(), HasSubstr("3 requests in a row to model 'm' failed (client_error)"));
  EXPECT_THAT(third.status().message(), HasSubstr("127.0.0.1:9"));
}

TEST_F(LlmProposerTest, AdaptiveBanditLearnsFromResultsAndPersists) {
  for (int i = 0; i < 10; ++i) replies_.push_back(Diff("C = 1", "C = " + std::to_string(10 + i)));
  options_.models = {ModelSpec{}, ModelSpec{}};
  options_.models[0].name = "a";
  options_.models[1].name = "b";
  options_.adaptive = true;
  auto p = Make();
  for (int i = 1; i <= 6; ++i) {
    auto r = p->Propose(Request(i), {});
    ASSERT_TRUE(r.ok());
    Candidate c = *parent_;
    c.id = i;
    c.parent_id = 0;
    c.program = r->program;
    c.proposal = r->info;
    const bool from_a = nlohmann::json::parse(r->info.detail_json)["model"] == "a";
    p->OnResult(c, from_a ? 5.0 : 0.5, 1.0, false);  // only model a improves
  }
  auto state = nlohmann::json::parse(p->TakeCheckpoint().state.at("llm"));
  EXPECT_GT(state["model_bandit"]["a"]["n"].get<int>(), state["model_bandit"]["b"]["n"].get<int>());
  EXPECT_GT(state["model_bandit"]["a"]["sum"].get<double>(), 0);
}

}  // namespace
}  // namespace crucible
