// LentSlots: the engine's side of propose/slot_lender.h. Proposers offer
// SharedWork from their threads; the orchestrator takes units of the oldest
// offer that has any left whenever an evaluation slot is idle (the engine
// decides when; engine_schedule.cc's TryLend) and runs them on its evaluation pool.
//
// Thread safety: Offer() and OwnerMayRunUnits() from any thread; Take() from
// the orchestrator.
#ifndef CRUCIBLE_ENGINE_LENT_SLOTS_H_
#define CRUCIBLE_ENGINE_LENT_SLOTS_H_

#include <deque>
#include <functional>
#include <memory>
#include <mutex>

#include "propose/slot_lender.h"

namespace crucible {

class LentSlots final : public SlotLender {
 public:
  // `wake` tells the orchestrator that work was offered (any thread).
  // `owner_may_run`: whether proposals hold evaluation slots (the classic
  // schedule), so that an offering proposer's thread may evaluate too.
  LentSlots(std::function<void()> wake, bool owner_may_run)
      : wake_(std::move(wake)), owner_may_run_(owner_may_run) {}

  void Offer(std::shared_ptr<SharedWork> work) override {
    {
      std::lock_guard lock(mu_);
      offers_.push_back(std::move(work));
    }
    wake_();
  }

  // A unit of the oldest offer with any left (exhausted offers are
  // dropped); empty when there is none.
  std::function<void()> Take() {
    std::lock_guard lock(mu_);
    while (!offers_.empty()) {
      if (std::function<void()> unit = offers_.front()->TakeUnit()) return unit;
      offers_.pop_front();
    }
    return {};
  }

  bool OwnerMayRunUnits() const override { return owner_may_run_; }

 private:
  const std::function<void()> wake_;
  const bool owner_may_run_;
  std::mutex mu_;
  std::deque<std::shared_ptr<SharedWork>> offers_;  // guarded by mu_
};

}  // namespace crucible

#endif  // CRUCIBLE_ENGINE_LENT_SLOTS_H_
