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

#include "core/candidate.h"
#include "core/status.h"

namespace crucible {

struct ProposalRequest {
  CandidateId child_id = kNoCandidate;
  uint64_t seed = 0;
  int island = 0;
  std::shared_ptr<const Candidate> parent;
  std::vector<std::shared_ptr<const Candidate>> inspirations;
};

struct Proposal {
  Program program;
  ProposalInfo info;  // proposer name, operators applied, detail
};

class Proposer {
 public:
  virtual ~Proposer() = default;
  // Returns a child program. A child that is identical to its parent is
  // allowed (the engine records it as a duplicate) but implementations should
  // try to avoid it. Errors: InvalidArgument when nothing can be proposed
  // from this parent (e.g. no evolvable region), Cancelled when `stop` fired.
  virtual StatusOr<Proposal> Propose(const ProposalRequest& request, std::stop_token stop) = 0;
  virtual std::string_view Name() const = 0;
  // True for cheap, CPU-only proposers (microseconds, no I/O): the engine
  // then calls Propose() on its own thread, saving two thread hand-offs per
  // candidate. Proposers that wait on anything (an LLM) return false.
  virtual bool RunsInline() const { return false; }
};

}  // namespace crucible

#endif  // CRUCIBLE_PROPOSE_PROPOSER_H_
