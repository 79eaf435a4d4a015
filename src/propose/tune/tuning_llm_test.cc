// Constant tuning around the LLM proposer: the model sees the tuned values
// in later prompts — the tuned program's code when it is the parent, and
// the tuning's changes in the history of the program it was tuned from.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <mutex>
#include <nlohmann/json.hpp>

#include "propose/llm/llm_proposer.h"
#include "propose/tune/tuning_proposer.h"

namespace crucible {
namespace {

using ::testing::HasSubstr;

// Every chat reply is the same edit (D = 1 -> 2); requests are kept.
class FakeTransport final : public HttpTransport {
 public:
  HttpResponse Post(const HttpRequest& request, std::stop_token) override {
    std::lock_guard lock(mu);
    bodies.push_back(request.body);
    HttpResponse r;
    r.status = 200;
    r.body = nlohmann::json(
                 {{"choices", {{{"message", {{"content", "<<<<<<< SEARCH\nD = 1\n=======\n"
                                                         "D = 2\n>>>>>>> REPLACE\n"}}}}}},
                  {"usage", {{"prompt_tokens", 10}, {"completion_tokens", 5}}}})
                 .dump();
    return r;
  }
  std::mutex mu;
  std::vector<std::string> bodies;
};

// "C = V": scores -(V - 2)^2.
EvalResult Score(const Program& p) {
  const std::string& s = p.files[0].content;
  const double v = std::stod(s.substr(s.find("C = ") + 4));
  EvalResult r;
  r.outcome = Outcome::kOk;
  r.score = -(v - 2) * (v - 2);
  r.stage = "full";
  return r;
}

TEST(TuningWithLlmTest, TheModelSeesTunedValues) {
  LlmOptions o;
  o.base_url = "http://127.0.0.1:9/v1";
  o.models = {ModelSpec{}};
  o.models[0].name = "m";
  o.diff_weight = 1;
  o.rewrite_weight = 0;
  o.crossover_weight = 0;
  o.novelty_threshold = 1.0;
  auto transport = std::make_unique<FakeTransport>();
  FakeTransport* t = transport.get();
  auto llm = LlmProposer::Create(o, LlmProblemContext{"/nonexistent", "task", Objective{}},
                                 std::move(transport));
  ASSERT_TRUE(llm.ok()) << llm.status().ToString();
  TuningOptions to;
  to.enabled = true;
  to.budget_share = 1.0;
  to.tune.max_evaluations = 18;
  TuningProposer tuner(std::move(llm).value(), to, Objective{},
                       [](CandidateId, const Program& p, uint64_t, std::stop_token) { return Score(p); });

  auto start = std::make_shared<Candidate>();
  start->id = 0;
  start->program.files = {{"p.py", "import os\n# EVOLVE-BLOCK-START\nC = 0.5\nD = 1\n# EVOLVE-BLOCK-END\n"}};
  start->result = Score(start->program);
  tuner.OnResult(*start, start->result.score, std::nullopt, false);

  ProposalRequest req;
  req.child_id = 1;
  req.seed = 4;
  req.parent = start;
  StatusOr<Proposal> tuned = tuner.Propose(req, {});
  ASSERT_TRUE(tuned.ok()) << tuned.status().ToString();
  ASSERT_EQ(tuned->info.proposer, "tune");
  EXPECT_TRUE(t->bodies.empty());  // no model call for a tuning
  auto child = std::make_shared<Candidate>();
  child->id = 1;
  child->parent_id = 0;
  child->program = tuned->program;
  child->proposal = tuned->info;
  child->result = Score(child->program);
  tuner.OnResult(*child, child->result.score, start->result.score, false);
  const std::string tuned_value =
      nlohmann::json::parse(tuned->info.detail_json)["changes"][0]["to"].get<std::string>();

  // The tuned program as the parent: its code, tuned value included.
  req.child_id = 2;
  req.parent = child;
  StatusOr<Proposal> second = tuner.Propose(req, {});
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  ASSERT_EQ(t->bodies.size(), 1u);
  EXPECT_THAT(t->bodies[0], HasSubstr("C = " + tuned_value));
  // The start as the parent: the tuning is in its children's history.
  req.child_id = 3;
  req.parent = start;
  ASSERT_TRUE(tuner.Propose(req, {}).ok());
  ASSERT_EQ(t->bodies.size(), 2u);
  EXPECT_THAT(t->bodies[1], HasSubstr("tuned constants: line 3 0.5 -> " + tuned_value));
}

}  // namespace
}  // namespace crucible
