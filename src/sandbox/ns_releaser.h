// NamespaceReleaser: drops a finished run's last references to its mount and
// IPC namespaces on a background thread.
//
// When a run's init exits, the kernel tears down the namespaces it was the
// last member of, and for a mount namespace (more so together with an IPC
// namespace) that includes waiting for RCU grace periods: ~0.3–0.9 ms in
// which the exiting init, and so Run(), only waits. Run() therefore opens
// /proc/<init>/ns/{mnt,ipc} while the init lives, and hands the descriptors
// here once the run is over: the init's exit no longer waits, and the
// namespaces — which hold no process by then, only the run's mounts (its
// private /tmp, say) and IPC objects — go away on this thread moments later.
//
// Thread safety: Release() may be called from any thread. The destructor
// closes whatever is still queued before it returns.
#ifndef CRUCIBLE_SANDBOX_NS_RELEASER_H_
#define CRUCIBLE_SANDBOX_NS_RELEASER_H_

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "process/unique_fd.h"

namespace crucible {

class NamespaceReleaser {
 public:
  NamespaceReleaser() = default;
  ~NamespaceReleaser();
  NamespaceReleaser(const NamespaceReleaser&) = delete;
  NamespaceReleaser& operator=(const NamespaceReleaser&) = delete;

  // Closes `fds` soon, on the background thread (started on first use).
  void Release(std::vector<UniqueFd> fds);

 private:
  void Loop();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<UniqueFd> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace crucible

#endif  // CRUCIBLE_SANDBOX_NS_RELEASER_H_
