// LlmProposer: a language model reads the parent, its evaluation, a few
// inspirations and the parent's recent attempts, and proposes a change as a
// SEARCH/REPLACE diff, a full rewrite, or a crossover of two parents
// (docs/llm.md). An unusable reply (no edit, an edit that does not apply or
// touches fixed code, a near-copy of a program already on the island) is
// re-asked with the reason shown, up to max_reasks times. Every request is
// recorded (TakeCheckpoint -> run.db llm_calls), tokens and cost are counted
// against the run's budgets, and the ensemble's bandit state is persisted in
// the state table under "llm".
//
// Thread safety: Propose() runs on many worker threads at once (up to
// Concurrency()); all shared state is guarded by one mutex. The hooks run
// on the orchestrator.
#ifndef CRUCIBLE_PROPOSE_LLM_LLM_PROPOSER_H_
#define CRUCIBLE_PROPOSE_LLM_LLM_PROPOSER_H_

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "llm/chat_client.h"
#include "llm/http_transport.h"
#include "propose/llm/bandit.h"
#include "propose/llm/llm_options.h"
#include "core/objective.h"
#include "propose/llm/novelty.h"
#include "propose/llm/prompt.h"
#include "propose/proposer.h"

namespace crucible {

struct LlmProblemContext {
  std::string problem_dir;  // for PROBLEM/prompts/*.md
  std::string task;         // the text of the problem's prompt.md ('' if none)
  Objective objective;
};

class LlmProposer final : public Proposer {
 public:
  // `options` must be configured() and valid; the API key is read from the
  // environment variable options.api_key_env now. `transport` null = the
  // libcurl multi transport.
  static StatusOr<std::unique_ptr<LlmProposer>> Create(LlmOptions options, LlmProblemContext context,
                                                       std::unique_ptr<HttpTransport> transport = nullptr);
  ~LlmProposer() override;

  StatusOr<Proposal> Propose(const ProposalRequest& request, std::stop_token stop) override;
  std::string_view Name() const override { return "llm"; }
  void OnResult(const Candidate& child, std::optional<double> child_fitness,
                std::optional<double> parent_fitness, bool replayed) override;
  ProposerCheckpoint TakeCheckpoint() override;
  std::vector<std::string> StateKeys() const override { return {"llm"}; }
  Status RestoreState(const std::map<std::string, std::string>& state) override;
  std::string UsageSummary() const override;
  int Concurrency() const override { return o_.concurrency; }

  // Totals so far (whole run).
  int64_t tokens_used() const;
  double cost_used() const;

 private:
  struct Arms {
    size_t model = 0;
    size_t mode = 0;
  };

  LlmProposer(LlmOptions options, LlmProblemContext context, std::unique_ptr<HttpTransport> transport,
              std::string api_key, PromptTemplates templates);

  Arms ChooseArms(Rng& rng, bool crossover_possible);
  // Reserves room in the token and cost budgets for one request whose
  // prompt is about `prompt_tokens` long: returns the completion tokens it
  // may ask for (at most model.max_tokens, less near the end of a budget so
  // that even a reply of that length stays within it), or why no request
  // may start. Needs mu_. Release() gives the reservation back.
  struct Reservation {
    int64_t tokens = 0;
    double cost = 0;
  };
  std::variant<Reservation, std::string> Reserve(const ModelSpec& model, int64_t prompt_tokens);
  // Appends a call record and counts its usage; `reservation` (if any) is
  // released in the same critical section, so the budget never sees the
  // request neither reserved nor counted.
  int64_t Record(LlmCallRecord record, const ChatResult* chat,
                 const Reservation* reservation = nullptr);
  std::optional<std::vector<float>> Embed(const Program& program, std::stop_token stop) const;

  const LlmOptions o_;
  const LlmProblemContext context_;
  std::unique_ptr<HttpTransport> transport_;
  ChatClient client_;
  const PromptTemplates templates_;
  std::vector<PatchMode> modes_;  // the bandit's mode arms, in order
  NoveltyIndex novelty_;

  mutable std::mutex mu_;  // guards everything below
  std::vector<LlmCallRecord> pending_;
  int64_t next_call_id_ = 1;
  int64_t prompt_tokens_ = 0;
  int64_t completion_tokens_ = 0;
  double cost_ = 0;
  int64_t reserved_tokens_ = 0;  // upper bounds of the requests in flight
  double reserved_cost_ = 0;
  int64_t calls_ = 0;
  int64_t applied_ = 0;
  std::map<std::string, int64_t> mode_counts_;  // applied proposals per mode
  UcbBandit model_bandit_;
  UcbBandit mode_bandit_;
  std::unordered_map<CandidateId, Arms> arms_by_child_;
  std::unordered_map<CandidateId, std::vector<float>> embeddings_;
  std::unordered_map<CandidateId, std::deque<Attempt>> history_;  // by parent id
  bool dirty_ = false;
};

}  // namespace crucible

#endif  // CRUCIBLE_PROPOSE_LLM_LLM_PROPOSER_H_
