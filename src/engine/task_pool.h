// TaskPool: a fixed set of worker threads running self-contained tasks
// (proposals, evaluations). Tasks own everything they touch; they report back
// through whatever queue their closure captured. No global pool: the engine
// owns its pools.
#ifndef CRUCIBLE_ENGINE_TASK_POOL_H_
#define CRUCIBLE_ENGINE_TASK_POOL_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace crucible {

class TaskPool {
 public:
  explicit TaskPool(int threads);
  // Runs the tasks already queued, then joins the threads.
  ~TaskPool();
  TaskPool(const TaskPool&) = delete;
  TaskPool& operator=(const TaskPool&) = delete;

  void Submit(std::function<void()> task);

 private:
  void Work(std::stop_token stop);

  std::mutex mu_;
  std::condition_variable_any cv_;
  std::deque<std::function<void()>> queue_;  // guarded by mu_
  std::vector<std::jthread> threads_;
};

// A queue of values handed from workers to the orchestrator. Thread-safe.
template <typename T>
class CompletionQueue {
 public:
  void Push(T value) {
    {
      std::lock_guard lock(mu_);
      items_.push_back(std::move(value));
    }
    cv_.notify_one();
  }
  // Waits up to `seconds` for at least one item; returns all items queued.
  std::vector<T> WaitAndDrain(double seconds) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::duration<double>(seconds), [&] { return !items_.empty(); });
    std::vector<T> out(std::make_move_iterator(items_.begin()), std::make_move_iterator(items_.end()));
    items_.clear();
    return out;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<T> items_;  // guarded by mu_
};

}  // namespace crucible

#endif  // CRUCIBLE_ENGINE_TASK_POOL_H_
