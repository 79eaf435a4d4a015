// Proposer: turns a selection (parent and inspirations) into a child program
// plus a record of how it was made. Implementations: mutate/ (built-in
// genetic-improvement operators, the default) and, later, llm/.
//
// Thread safety: Propose() is called concurrently from worker threads; an
// implementation must be safe for that (hold no unguarded mutable state). All
// randomness comes from request.seed, so the same request gives the same
// proposal.
#ifndef CRUCIBLE_PROPOSE_PROPOSER_H_
#define CRUCIBLE_PROPOSE_PROPOSER_H_

#include <memory>
#include <stop_token>
#include <string_view>
#include <vector>

#include <map>
#include <optional>
#include <string>

#include "core/candidate.h"
#include "core/llm_call.h"
#include "core/parsed_program.h"
#include "core/status.h"
#include "precheck/precheck.h"
#include "propose/slot_lender.h"

namespace crucible {

struct ProposalRequest {
  CandidateId child_id = kNoCandidate;
  uint64_t seed = 0;
  int island = 0;
  std::shared_ptr<const Candidate> parent;
  std::vector<std::shared_ptr<const Candidate>> inspirations;
  // How many of `inspirations` (the first ones) the archive picked as the
  // island's best (archive Selection::num_top; the rest are its diverse
  // picks); nullopt when the caller does not know.
  std::optional<size_t> num_top_inspirations;
  // The engine's pre-check, for an early answer about a child (fixed
  // regions, size, duplicates); null when there is none (then a proposer
  // checks what it can without one). Outlives the call.
  const Prechecker* precheck = nullptr;
  // Evaluations of the budget not yet taken by children dispatched or being
  // proposed (this one included); absent without an evaluation budget. A
  // proposer that evaluates programs itself (constant tuning) stays within it.
  std::optional<int64_t> evaluations_left;
  // The engine's idle evaluation slots, for a proposer that evaluates
  // programs itself (slot_lender.h); null when there is none to lend.
  // Outlives the call.
  SlotLender* lender = nullptr;
};

// What a proposer hands the engine to persist: records of its model calls
// and its resumable state ("state" table entries), taken together so they
// are consistent with each other.
struct ProposerCheckpoint {
  std::vector<LlmCallRecord> calls;
  std::vector<LlmNoteRecord> notes;  // new scratchpad versions (after the calls they cite)
  std::map<std::string, std::string> state;
};

struct Proposal {
  Program program;
  ProposalInfo info;  // proposer name, operators applied, detail
  // Optional: `program` parsed (ParsedProgram(program)), when the proposer
  // parsed it already to pre-check it; the engine then does not parse or
  // hash it again. Must describe exactly `program`.
  std::shared_ptr<const ParsedProgram> parsed;
  // Optional: the child's parent when it is not the request's (a constant
  // tuning makes a child of the candidate it tuned). The engine then
  // records this parent, its island and generation + 1, and no
  // inspirations.
  std::shared_ptr<const Candidate> parent;
};

class Proposer {
 public:
  virtual ~Proposer() = default;
  // Returns a child program. ResourceExhausted means a budget of the
  // proposer (tokens, cost) is spent: the engine stops the run. A child that is identical to its parent is
  // allowed (the engine records it as a duplicate) but implementations should
  // try to avoid it. Errors: InvalidArgument when nothing can be proposed
  // from this parent (e.g. no evolvable region), Cancelled when `stop` fired.
  virtual StatusOr<Proposal> Propose(const ProposalRequest& request, std::stop_token stop) = 0;
  virtual std::string_view Name() const = 0;
  // True for cheap, CPU-only proposers (microseconds, no I/O): the engine
  // then calls Propose() on its own thread, saving two thread hand-offs per
  // candidate. Proposers that wait on anything (an LLM) return false.
  virtual bool RunsInline() const { return false; }

  // --- Optional hooks, all called on the engine's orchestrator thread.

  // Every finished child (evaluated, duplicate or rejected), in the order the
  // engine inserts them, including those replayed by a resume (`replayed`).
  // Fitness values are higher-is-better; absent when there is none.
  virtual void OnResult(const Candidate& /*child*/, std::optional<double> /*child_fitness*/,
                        std::optional<double> /*parent_fitness*/, bool /*replayed*/) {}
  // A child an earlier session of the run made and recorded as pending, to
  // be evaluated again after a resume: in flight as if just proposed (its
  // OnResult follows), so a copy of it can be refused meanwhile.
  virtual void OnRestoredInFlight(const Candidate& /*child*/) {}
  // Records and state to persist; the engine writes them in its next
  // transaction. Returns what accumulated since the last call.
  virtual ProposerCheckpoint TakeCheckpoint() { return {}; }
  // The state keys it persists, and restoring them on resume (the values
  // found; a key never written is absent).
  virtual std::vector<std::string> StateKeys() const { return {}; }
  virtual Status RestoreState(const std::map<std::string, std::string>& /*state*/) {
    return Status::Ok();
  }
  // A short text for the progress line and summary (tokens, cost, mix).
  virtual std::string UsageSummary() const { return ""; }
  // How many Propose() calls may usefully run at once (an LLM proposer's
  // request concurrency); 0 = as many as evaluation jobs.
  virtual int Concurrency() const { return 0; }
};

}  // namespace crucible

#endif  // CRUCIBLE_PROPOSE_PROPOSER_H_
