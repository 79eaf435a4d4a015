#include "propose/tune/sample_batch.h"

#include <algorithm>

namespace crucible {

SampleBatch::SampleBatch(std::vector<TuneSample> samples, Evaluate evaluate, OnResult on_result,
                         std::stop_token stop)
    : samples_(std::move(samples)),
      evaluate_(std::move(evaluate)),
      on_result_(std::move(on_result)),
      stop_(std::move(stop)),
      results_(samples_.size()) {}

std::function<void()> SampleBatch::TakeUnit() {
  std::lock_guard lock(mu_);
  if (next_ >= samples_.size()) return {};
  const size_t i = next_++;
  ++in_flight_;
  max_in_flight_ = std::max(max_in_flight_, in_flight_);
  return [self = shared_from_this(), i] { self->RunSample(i); };
}

void SampleBatch::RunSample(size_t i) {
  EvalResult r;
  if (!stop_.stop_requested()) {
    r = evaluate_(samples_[i], stop_);
    if (on_result_ && !stop_.stop_requested()) on_result_(samples_[i], r);
  }
  {
    std::lock_guard lock(mu_);
    results_[i] = std::move(r);
    --in_flight_;
    ++done_;
  }
  done_cv_.notify_all();
}

std::vector<EvalResult> SampleBatch::Run(Owner owner) {
  if (owner == Owner::kOnlyWaits) {
    std::unique_lock lock(mu_);
    done_cv_.wait(lock, stop_, [&] { return done_ == samples_.size(); });
  }
  while (std::function<void()> unit = TakeUnit()) unit();
  std::unique_lock lock(mu_);
  done_cv_.wait(lock, [&] { return done_ == samples_.size(); });
  return results_;
}

int SampleBatch::max_in_flight() const {
  std::lock_guard lock(mu_);
  return max_in_flight_;
}

}  // namespace crucible
