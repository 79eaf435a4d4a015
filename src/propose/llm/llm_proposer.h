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

#include <condition_variable>
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
  void OnRestoredInFlight(const Candidate& child) override;
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
    double spend = 0;  // what the proposal cost (currency with prices, else tokens)
  };

  LlmProposer(LlmOptions options, LlmProblemContext context, std::unique_ptr<HttpTransport> transport,
              std::vector<std::string> api_keys, PromptTemplates templates);

  struct Turn;
  struct Screened;
  // Propose() in steps: choose model and mode, build the prompt (writing the
  // scratchpad note first when one is due); one request and what its reply
  // gives (a proposal, nothing yet: ask again, or an error that ends the
  // proposal); what a failed request changes (shrink, breaker, re-ask);
  // a reply turned into a checked child (truncation, patch, pre-check,
  // novelty); the proposal's record.
  StatusOr<std::unique_ptr<Turn>> StartTurn(const ProposalRequest& req, std::stop_token stop);
  StatusOr<std::optional<Proposal>> AskOnce(Turn& turn, int attempt, int& asked,
                                            std::stop_token stop);
  Status AfterFailedRequest(Turn& turn, const ChatResult& chat, int& asked);
  // After a context-length error: the next smaller prompt, or why none fits.
  Status ShrinkPrompt(Turn& turn);
  Screened ScreenReply(Turn& turn, const ChatResult& chat, std::stop_token stop);
  // The program a child repeats (on its island, or in flight), or nullopt;
  // a novel child is held in the index as in flight.
  std::optional<NoveltyMatch> CheckNovelty(Turn& turn, const Screened& s, std::stop_token stop);
  // The novelty judge's verdict on a near-copy (docs/llm.md, "The novelty
  // judge"): kDifferent, kSame, or kNoVerdict when the request failed, the
  // budget had no room or the reply held no verdict line.
  enum class Verdict { kDifferent, kSame, kNoVerdict };
  Verdict JudgeNovelty(Turn& turn, const Screened& s, const NoveltyMatch& match,
                       std::stop_token stop);
  Proposal Finish(Turn& turn, Screened s, const ChatResult& chat);

  Arms ChooseArms(Rng& rng, bool crossover_possible);
  struct Reservation {
    int64_t tokens = 0;
    double cost = 0;
  };
  // Reserves room for one request: its prompt (about `prompt_tokens`) plus
  // its whole max_tokens, never less. While the budget is only *reserved*
  // by requests in flight, waits for them; when it is spent, says why.
  // "" with no reservation means `stop` fired.
  std::variant<Reservation, std::string> Reserve(const ModelSpec& model, int64_t prompt_tokens,
                                                 std::stop_token stop);
  // Counts a failed request for the circuit breaker; the one-line reason
  // to stop the run when K in a row failed the same way.
  std::optional<std::string> CountFailure(const ModelSpec& model, const ChatResult& chat);
  // Parses and applies one reply; sets `outcome` and `failure` when no child.
  std::optional<Program> ApplyReply(PatchMode mode, const Candidate& parent, size_t rewrite_file,
                                    const std::string& text, std::string& outcome,
                                    std::string& failure) const;
  std::string RedactAll(std::string text) const;
  // Asks `model` to rewrite the scratchpad note (docs/llm.md); a failure
  // only leaves the old note; a context overflow retries with fewer
  // attempts. Runs on a proposer thread.
  void WriteNote(size_t model_index, uint64_t seed, std::stop_token stop);
  // Makes `note` (capped, redacted) the run's current note and queues it
  // for the store.
  void KeepNote(std::string note, int64_t evaluated, const std::string& model, int64_t call_id);
  // What a request is charged: its usage, or estimates (characters / 3)
  // when the server sent none.
  struct Charge {
    int64_t prompt_tokens = 0;
    int64_t completion_tokens = 0;
    double cost = 0;
    bool estimated = false;
  };
  static Charge ChargeOf(const ModelSpec& model, const ChatResult& chat, int64_t prompt_estimate);
  // Appends a call record and counts its charge; `reservation` (if any) is
  // released in the same critical section, so the budget never sees the
  // request neither reserved nor counted.
  int64_t Record(LlmCallRecord record, const Charge* charge,
                 const Reservation* reservation = nullptr);
  // One request sent within the budget: the reply, what it is charged, and
  // the reservation Record releases.
  struct SentChat {
    ChatResult chat;
    Charge charge;
    Reservation reservation;
  };
  // The one way a request is made (proposal, scratchpad, novelty judge):
  // reserves room for `messages`, sends them to model `index` and fills
  // `rec` (model, prompt, stored response, usage, cost). When the budget has
  // no room nothing is sent: the string says why ("" when `stop` fired) and
  // `rec` is marked budget_exhausted for the caller to Record or drop.
  std::variant<SentChat, std::string> Send(size_t index, const std::vector<ChatMessage>& messages,
                                           uint64_t seed, LlmCallRecord& rec,
                                           std::stop_token stop);
  std::optional<std::vector<float>> Embed(const Program& program, std::stop_token stop) const;

  const LlmOptions o_;
  const LlmProblemContext context_;
  std::unique_ptr<HttpTransport> transport_;
  std::vector<std::unique_ptr<ChatClient>> clients_;  // one per model (its endpoint and key)
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
  std::condition_variable_any released_;  // a reservation was given back
  int64_t released_count_ = 0;
  int64_t estimated_tokens_ = 0;  // of the totals, tokens estimated (no usage in the reply)
  // Circuit breaker: the kind of the last failed requests and how many in a row.
  std::string failure_kind_;
  int failures_in_a_row_ = 0;
  // Context overflow: how far prompts are shrunk (0 none, 1 no inspirations,
  // 2 no history either, 3 small artifact and feedback caps); run-wide.
  int shrink_level_ = 0;
  int64_t calls_ = 0;
  int64_t applied_ = 0;
  std::map<std::string, int64_t> mode_counts_;  // applied proposals per mode
  // adaptive: one bandit over (model, mode) pairs chooses, so any pairing
  // can win; the per-model and per-mode marginals are kept for reading.
  UcbBandit joint_bandit_;
  UcbBandit model_bandit_;
  UcbBandit mode_bandit_;
  double spend_sum_ = 0;  // over rewarded proposals, for reward per unit spend
  int64_t spend_n_ = 0;
  std::unordered_map<CandidateId, Arms> arms_by_child_;
  std::unordered_map<CandidateId, std::vector<float>> embeddings_;
  std::unordered_map<CandidateId, std::deque<Attempt>> history_;  // by parent id
  std::unordered_map<CandidateId, double> values_;  // objective values of ok candidates
  // Scratchpad: evaluated children (replay included), the note, its
  // versions not yet persisted, recent attempts run-wide (one line each).
  int64_t evaluated_ = 0;
  bool note_due_ = false;
  std::string note_;
  int64_t next_note_id_ = 1;
  std::vector<LlmNoteRecord> pending_notes_;
  std::deque<std::string> recent_;
  std::optional<double> best_value_;
  bool dirty_ = false;
};

}  // namespace crucible

#endif  // CRUCIBLE_PROPOSE_LLM_LLM_PROPOSER_H_
