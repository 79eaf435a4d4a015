// SampleBatch: one batch of a tuning's samples (tuner.h's
// BatchTrainEvaluation) as SharedWork (propose/slot_lender.h): the tuning's
// own thread and any evaluation slots the engine lends take samples one by
// one; Run() returns when every sample was evaluated. A sample not yet taken
// when `stop` fires is not evaluated. Where the owner's thread may not
// evaluate (SlotLender::OwnerMayRunUnits), Run() only waits for lent slots to
// take every sample, or for `stop`.
//
// Thread safety: TakeUnit() from any thread; Run() from the owner only. The
// batch must be held by shared_ptr (lent units keep it alive).
#ifndef CRUCIBLE_PROPOSE_TUNE_SAMPLE_BATCH_H_
#define CRUCIBLE_PROPOSE_TUNE_SAMPLE_BATCH_H_

#include <condition_variable>
#include <memory>
#include <functional>
#include <mutex>
#include <stop_token>
#include <vector>

#include "propose/slot_lender.h"
#include "propose/tune/tuner.h"

namespace crucible {

class SampleBatch final : public SharedWork, public std::enable_shared_from_this<SampleBatch> {
 public:
  // `evaluate` scores one sample; `on_result` (optional) hears of each
  // result as it comes, on the thread that evaluated it.
  using Evaluate = std::function<EvalResult(const TuneSample&, std::stop_token)>;
  using OnResult = std::function<void(const TuneSample&, const EvalResult&)>;
  SampleBatch(std::vector<TuneSample> samples, Evaluate evaluate, OnResult on_result,
              std::stop_token stop);

  std::function<void()> TakeUnit() override;
  enum class Owner {
    kRunsUnits,   // the owner's thread evaluates samples too
    kOnlyWaits,   // every sample runs on a lent slot (until `stop`)
  };
  // Takes and runs units until none is left (kOnlyWaits: once `stop`
  // fires, when they are skipped), then waits for those running elsewhere;
  // the results in the samples' order.
  std::vector<EvalResult> Run(Owner owner = Owner::kRunsUnits);
  // The most samples of this batch that were being evaluated at once.
  int max_in_flight() const;

 private:
  void RunSample(size_t i);

  const std::vector<TuneSample> samples_;
  const Evaluate evaluate_;
  const OnResult on_result_;
  const std::stop_token stop_;

  mutable std::mutex mu_;  // guards everything below
  std::condition_variable_any done_cv_;  // _any: waits on stop_ too
  std::vector<EvalResult> results_;
  size_t next_ = 0;  // the next sample to take
  size_t done_ = 0;  // samples finished (or skipped)
  int in_flight_ = 0;
  int max_in_flight_ = 0;
};

}  // namespace crucible

#endif  // CRUCIBLE_PROPOSE_TUNE_SAMPLE_BATCH_H_
