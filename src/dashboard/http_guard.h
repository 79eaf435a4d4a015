// HttpConnectionGuard: bounds how long a client may hold one of the
// dashboard's connection threads, and how many connections it may hold.
//
// cpp-httplib 0.11 serves each connection on a pool thread and its read
// timeout applies to each recv, not to a request: a client that sends one
// header byte every few seconds (slowloris) keeps its thread indefinitely,
// and 32 such clients lock everyone else out. httplib gives no hook on an
// accepted socket, so the guard watches from outside: every
// `scan_interval` it lists this process's TCP sockets whose local port is
// the dashboard's (accepted connections; not the listener, not clients of
// it), and shuts down (shutdown(2), which wakes the blocked recv; httplib
// then closes the socket and frees its thread)
//   - a connection to which nothing has been sent for `idle_deadline`
//     since it was first seen or last answered and which received bytes in
//     the last `quiet_after_request` (a request still trickling in; one that
//     arrived whole and waits for a thread or its handler receives nothing,
//     and a stalled one is dropped by httplib's own 3 s read timeout), and
//   - the newest connections beyond `max_connections` that have not been
//     answered yet.
// So a stalled client holds a thread at most ~idle_deadline, and a client
// queued behind a wall of slow ones is served within about that time.
//
// Thread-safe: one background thread (std::jthread); Stop() or the
// destructor joins it.
#ifndef CRUCIBLE_DASHBOARD_HTTP_GUARD_H_
#define CRUCIBLE_DASHBOARD_HTTP_GUARD_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <stop_token>
#include <thread>

#include "core/status.h"

namespace crucible {

struct HttpConnectionGuardOptions {
  int port = 0;  // the dashboard's listening port
  std::chrono::milliseconds idle_deadline{8000};
  std::chrono::milliseconds quiet_after_request{3000};
  int max_connections = 256;
  std::chrono::milliseconds scan_interval{250};

  // kInvalidArgument naming the field.
  Status Validate() const;
};

class HttpConnectionGuard {
 public:
  explicit HttpConnectionGuard(HttpConnectionGuardOptions options);
  ~HttpConnectionGuard();  // stops
  HttpConnectionGuard(const HttpConnectionGuard&) = delete;
  HttpConnectionGuard& operator=(const HttpConnectionGuard&) = delete;

  void Stop();
  // Connections shut down so far (for the tests and the log).
  uint64_t connections_cut() const;

 private:
  struct Seen {
    std::chrono::steady_clock::time_point since;  // first seen or last answered
    uint64_t bytes_sent = 0;
    std::chrono::steady_clock::time_point received_at;  // bytes_received last grew
    uint64_t bytes_received = 0;
  };
  void Loop(std::stop_token stop);
  void ScanOnce();

  const HttpConnectionGuardOptions options_;
  std::map<uint64_t, Seen> seen_;  // by socket inode; only the guard's thread
  mutable std::mutex mutex_;       // guards cut_
  uint64_t cut_ = 0;
  std::condition_variable_any wake_;
  std::mutex wake_mutex_;
  std::jthread thread_;
};

}  // namespace crucible

#endif  // CRUCIBLE_DASHBOARD_HTTP_GUARD_H_
