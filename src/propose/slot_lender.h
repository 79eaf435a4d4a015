// SlotLender: how a proposer that evaluates programs itself (constant
// tuning, propose/tune/) borrows the engine's idle evaluation slots.
//
// A tuning runs on one proposal slot; its samples are evaluations. Run one
// at a time on that slot's thread, they leave `--jobs - 1` cores idle
// whenever the engine has nothing else to evaluate (always in deterministic
// mode, where no child is selected while an earlier one is being proposed).
// Starting threads of its own would oversubscribe a machine sized for
// `--jobs`. Instead the proposer offers its batch as SharedWork: its own
// thread takes units one by one, and the engine's orchestrator, whenever
// fewer than `jobs` evaluations (and proposals) are running, takes a unit
// too and runs it on an evaluation worker, before it selects a new child.
// So a batch runs up to `jobs` units at once and never more work than the
// machine was sized for; without a lender (or with none idle) it runs on the
// proposer's thread alone, as before. Where a proposal holds no evaluation
// slot (the engine's separate proposal slots, e.g. an LLM proposer's
// --llm-concurrency), the proposer's thread must not evaluate at all: it
// offers every batch and waits (OwnerMayRunUnits() is false).
#ifndef CRUCIBLE_PROPOSE_SLOT_LENDER_H_
#define CRUCIBLE_PROPOSE_SLOT_LENDER_H_

#include <functional>
#include <memory>

namespace crucible {

// Work split into units (a tuning's batch of samples). Thread-safe: units
// are taken from any thread.
class SharedWork {
 public:
  virtual ~SharedWork() = default;
  // The next unit, claimed by the caller, to be run on a thread of its
  // choice; an empty function when every unit was taken.
  virtual std::function<void()> TakeUnit() = 0;
};

class SlotLender {
 public:
  virtual ~SlotLender() = default;
  // Lets idle evaluation slots take units of `work` until it has none left.
  // Thread-safe; returns at once.
  virtual void Offer(std::shared_ptr<SharedWork> work) = 0;
  // Whether the offering thread may run units itself. False when its
  // proposal holds no evaluation slot: every unit then waits for an idle
  // evaluation slot, so evaluations in flight never exceed `jobs`.
  virtual bool OwnerMayRunUnits() const = 0;
};

}  // namespace crucible

#endif  // CRUCIBLE_PROPOSE_SLOT_LENDER_H_
