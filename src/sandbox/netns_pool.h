// NetnsPool: network namespaces for sandboxed runs, created once and reused,
// each by one run at a time.
//
// Creating a network namespace costs a run ~0.6 ms of CPU at clone time and
// more later, in a kernel worker that tears it down asynchronously. A pooled
// namespace is created by a throw-away child (loopback up, TIME_WAIT disabled)
// and kept by a descriptor; each run's launcher setns()es its child into one
// that no other live run holds, so concurrent candidates never share a
// network: neither 127.0.0.1 ports nor abstract UNIX sockets (which are per
// namespace). A run hands its namespace back only after its whole process
// tree is gone, so every socket of the run is closed by then.
//
// What carries over from one run to the next in the same namespace (see
// docs/sandbox.md): nothing a later run can bind to or connect to, because
// net.ipv4.tcp_max_tw_buckets = 0 there (a closed TCP connection does not
// linger in TIME_WAIT holding its port); the namespace's packet counters
// (/proc/net/snmp) do accumulate.
//
// Only for root without a user namespace: setns() into a namespace needs
// CAP_SYS_ADMIN over its owner, which a run's fresh user namespace lacks.
//
// Thread safety: Acquire/Release may be called from any thread.
#ifndef CRUCIBLE_SANDBOX_NETNS_POOL_H_
#define CRUCIBLE_SANDBOX_NETNS_POOL_H_

#include <mutex>
#include <vector>

#include "core/status.h"
#include "process/unique_fd.h"

namespace crucible {

class NetnsPool {
 public:
  NetnsPool() = default;
  NetnsPool(const NetnsPool&) = delete;
  NetnsPool& operator=(const NetnsPool&) = delete;

  // Creates one namespace now, to find out whether pooling works here.
  Status Prime();

  // A namespace descriptor for one run: a free one, or a new one. The caller
  // gives it back with Release() once every process of the run is gone (or
  // just drops it; the namespace then dies with its last reference).
  StatusOr<UniqueFd> Acquire();
  void Release(UniqueFd netns);

  // Namespaces created so far (for tests).
  int created() const;

 private:
  mutable std::mutex mutex_;
  std::vector<UniqueFd> free_;
  int created_ = 0;
};

// Creates a network namespace with loopback up and TIME_WAIT disabled, and
// returns a descriptor of it (/proc/<pid>/ns/net of its short-lived creator).
StatusOr<UniqueFd> CreateNetworkNamespace();

}  // namespace crucible

#endif  // CRUCIBLE_SANDBOX_NETNS_POOL_H_
