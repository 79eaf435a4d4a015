#include "sandbox/ns_releaser.h"

#include <utility>

namespace crucible {

NamespaceReleaser::~NamespaceReleaser() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
  queue_.clear();  // closes anything queued after the thread left
}

#if defined(__SANITIZE_THREAD__)
#define CRUCIBLE_RELEASER_INLINE 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CRUCIBLE_RELEASER_INLINE 1
#endif
#endif

void NamespaceReleaser::Release(std::vector<UniqueFd> fds) {
  if (fds.empty()) return;
#ifdef CRUCIBLE_RELEASER_INLINE
  // Under ThreadSanitizer, a thread that has launched a sandbox is left
  // ignoring synchronisation by TSan's clone interceptor (launcher.cc), so a
  // hand-off to our thread would be reported as a race: close here instead.
  fds.clear();
  return;
#endif
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (UniqueFd& fd : fds) queue_.push_back(std::move(fd));
    if (!thread_.joinable()) thread_ = std::thread([this] { Loop(); });
  }
  wake_.notify_one();
}

void NamespaceReleaser::Loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, nothing left
    std::vector<UniqueFd> batch = std::move(queue_);
    queue_.clear();
    lock.unlock();
    batch.clear();  // the slow part: the kernel tears the namespaces down
    lock.lock();
  }
}

}  // namespace crucible
