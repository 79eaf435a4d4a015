#include "sandbox/netns_pool.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "sandbox/launcher.h"

namespace crucible {
namespace {

struct CreatorArgs {
  int netns_fd = -1;
  int error = 0;
  const char* step = "";
};

CRUCIBLE_SANDBOX_NO_SANITIZE int Fail(CreatorArgs& args, const char* step) {
  args.error = errno;
  args.step = step;
  return 1;
}

CRUCIBLE_SANDBOX_NO_SANITIZE int WriteFile(const char* path, const char* text, size_t size) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  int ok = write(fd, text, size) == static_cast<ssize_t>(size) ? 0 : -1;
  close(fd);
  return ok;
}

// Runs in the new namespace, sharing our memory and descriptor table
// (CLONE_VM | CLONE_VFORK | CLONE_FILES) while the creating thread waits:
// system calls only.
CRUCIBLE_SANDBOX_NO_SANITIZE int CreatorMain(void* raw) {
  CreatorArgs& args = *static_cast<CreatorArgs*>(raw);
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) _exit(Fail(args, "socket for loopback"));
  ifreq request{};
  const char name[] = "lo";
  for (size_t i = 0; i < sizeof(name); ++i) request.ifr_name[i] = name[i];
  if (ioctl(sock, SIOCGIFFLAGS, &request) != 0) _exit(Fail(args, "get loopback flags"));
  request.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(sock, SIOCSIFFLAGS, &request) != 0) _exit(Fail(args, "bring loopback up"));
  close(sock);
  // A TCP connection closed in one run must not hold its port (TIME_WAIT)
  // into the next run that gets this namespace.
  if (WriteFile("/proc/sys/net/ipv4/tcp_max_tw_buckets", "0", 1) != 0) {
    _exit(Fail(args, "set net.ipv4.tcp_max_tw_buckets"));
  }
  args.netns_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (args.netns_fd < 0) _exit(Fail(args, "open /proc/thread-self/ns/net"));
  _exit(0);
}

}  // namespace

StatusOr<UniqueFd> CreateNetworkNamespace() {
  CreatorArgs args;
  pid_t pid = CloneVfork(CLONE_NEWNET | CLONE_FILES, CreatorMain, &args, nullptr);
  if (pid < 0) return UnavailableError(std::string("clone(CLONE_NEWNET): ") + strerror(errno));
  int status = 0;
  while (waitpid(pid, &status, __WALL) < 0 && errno == EINTR) {
  }
  UniqueFd netns(args.netns_fd);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !netns.valid()) {
    return UnavailableError(std::string("network namespace: ") + args.step + ": " +
                            strerror(args.error));
  }
  return netns;
}

Status NetnsPool::Prime() {
  ASSIGN_OR_RETURN(UniqueFd netns, Acquire());
  Release(std::move(netns));
  return Status::Ok();
}

StatusOr<UniqueFd> NetnsPool::Acquire() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!free_.empty()) {
      UniqueFd netns = std::move(free_.back());
      free_.pop_back();
      return netns;
    }
  }
  ASSIGN_OR_RETURN(UniqueFd netns, CreateNetworkNamespace());
  std::lock_guard<std::mutex> lock(mutex_);
  ++created_;
  return netns;
}

void NetnsPool::Release(UniqueFd netns) {
  if (!netns.valid()) return;
  std::lock_guard<std::mutex> lock(mutex_);
  free_.push_back(std::move(netns));
}

int NetnsPool::created() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return created_;
}

}  // namespace crucible
