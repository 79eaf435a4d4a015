#include "dashboard/http_guard.h"

#include <dirent.h>
#include <fmt/format.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

namespace crucible {
namespace {

using Clock = std::chrono::steady_clock;

// An accepted connection of ours: a TCP socket, not listening, whose local
// port is `port`. Sets its inode and how many bytes were sent on it.
bool IsOurConnection(int fd, int port, uint64_t& inode, uint64_t& bytes_sent,
                     uint64_t& bytes_received) {
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) return false;
  sockaddr_storage local{};
  socklen_t len = sizeof(local);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) != 0) return false;
  int local_port = -1;
  if (local.ss_family == AF_INET) {
    local_port = ntohs(reinterpret_cast<sockaddr_in*>(&local)->sin_port);
  } else if (local.ss_family == AF_INET6) {
    local_port = ntohs(reinterpret_cast<sockaddr_in6*>(&local)->sin6_port);
  }
  if (local_port != port) return false;
  int listening = 0;
  len = sizeof(listening);
  if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || listening != 0) {
    return false;
  }
  tcp_info info{};
  len = sizeof(info);
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return false;
  // A kernel older than 4.19 does not report bytes sent: not guarded.
  if (len < offsetof(tcp_info, tcpi_bytes_sent) + sizeof(info.tcpi_bytes_sent)) return false;
  inode = st.st_ino;
  bytes_sent = info.tcpi_bytes_sent;
  bytes_received = info.tcpi_bytes_received;
  return true;
}

struct Connection {
  int fd;
  uint64_t inode;
  uint64_t bytes_sent;
  uint64_t bytes_received;
};

std::vector<Connection> ListConnections(int port) {
  std::vector<Connection> out;
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return out;
  const int own = dirfd(dir);
  while (dirent* entry = readdir(dir)) {
    char* end = nullptr;
    const long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd == own) continue;
    Connection c{static_cast<int>(fd), 0, 0, 0};
    if (IsOurConnection(c.fd, port, c.inode, c.bytes_sent, c.bytes_received)) out.push_back(c);
  }
  closedir(dir);
  return out;
}

// Shuts `c` down if its descriptor still names the same socket: between the
// listing and now httplib may have closed it and the number been reused.
bool Cut(const Connection& c, int port) {
  uint64_t inode = 0, sent = 0, received = 0;
  if (!IsOurConnection(c.fd, port, inode, sent, received) || inode != c.inode) return false;
  return shutdown(c.fd, SHUT_RDWR) == 0;
}

}  // namespace

Status HttpConnectionGuardOptions::Validate() const {
  if (port <= 0 || port > 65535) {
    return InvalidArgumentError(fmt::format("port must be in [1, 65535] (got {})", port));
  }
  if (idle_deadline.count() <= 0) return InvalidArgumentError("idle_deadline must be positive");
  if (quiet_after_request.count() <= 0) {
    return InvalidArgumentError("quiet_after_request must be positive");
  }
  if (max_connections < 1) {
    return InvalidArgumentError(
        fmt::format("max_connections must be >= 1 (got {})", max_connections));
  }
  if (scan_interval.count() <= 0) return InvalidArgumentError("scan_interval must be positive");
  return Status::Ok();
}

HttpConnectionGuard::HttpConnectionGuard(HttpConnectionGuardOptions options)
    : options_(options), thread_([this](std::stop_token stop) { Loop(stop); }) {}

HttpConnectionGuard::~HttpConnectionGuard() { Stop(); }

void HttpConnectionGuard::Stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  thread_.join();
}

uint64_t HttpConnectionGuard::connections_cut() const {
  std::lock_guard lock(mutex_);
  return cut_;
}

void HttpConnectionGuard::Loop(std::stop_token stop) {
  while (!stop.stop_requested()) {
    ScanOnce();
    std::unique_lock lock(wake_mutex_);
    wake_.wait_for(lock, stop, options_.scan_interval, [] { return false; });
  }
}

void HttpConnectionGuard::ScanOnce() {
  const auto now = Clock::now();
  std::vector<Connection> connections = ListConnections(options_.port);
  std::map<uint64_t, Seen> next;
  std::vector<std::pair<Clock::time_point, Connection>> unanswered;
  uint64_t cut = 0;
  for (const Connection& c : connections) {
    auto it = seen_.find(c.inode);
    Seen s = it == seen_.end() ? Seen{now, c.bytes_sent, now, c.bytes_received} : it->second;
    if (c.bytes_sent != s.bytes_sent) {  // answered: a new clock
      s.since = now;
      s.bytes_sent = c.bytes_sent;
    }
    if (c.bytes_received != s.bytes_received) {
      s.received_at = now;
      s.bytes_received = c.bytes_received;
    }
    // Still arriving after the deadline: a trickle. A request that arrived
    // whole and is being worked on (or waits for a thread) receives nothing.
    const bool trickling = now - s.received_at < options_.quiet_after_request;
    if (now - s.since >= options_.idle_deadline && trickling) {
      if (Cut(c, options_.port)) ++cut;
      continue;
    }
    next[c.inode] = s;
    if (c.bytes_sent == 0) unanswered.emplace_back(s.since, c);
  }
  const size_t cap = static_cast<size_t>(options_.max_connections);
  if (next.size() > cap) {
    // Newest first: those queued longest are the next to be served.
    std::sort(unanswered.begin(), unanswered.end(),
              [](const auto& a, const auto& b) { return a.first > b.first; });
    size_t excess = next.size() - cap;
    for (size_t i = 0; i < unanswered.size() && excess > 0; ++i, --excess) {
      if (Cut(unanswered[i].second, options_.port)) ++cut;
      next.erase(unanswered[i].second.inode);
    }
  }
  seen_ = std::move(next);
  if (cut > 0) {
    std::lock_guard lock(mutex_);
    cut_ += cut;
  }
}

}  // namespace crucible
