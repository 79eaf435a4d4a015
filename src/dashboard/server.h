// DashboardServer: serves a Dashboard over HTTP (cpp-httplib) for
// `crucible serve`.
//
// Safety: binds 127.0.0.1 by default; read-only (only GET and HEAD); serves
// nothing from the file system (assets are embedded; data comes from run.db
// through RunReader); on a loopback address it answers only requests whose
// Host header names a loopback host (a web page elsewhere cannot reach it by
// DNS rebinding). Responses carry a Content-Security-Policy that allows
// nothing from outside the server.
#ifndef CRUCIBLE_DASHBOARD_SERVER_H_
#define CRUCIBLE_DASHBOARD_SERVER_H_

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"
#include "dashboard/dashboard.h"
#include "dashboard/http_guard.h"

namespace httplib {
class Server;
}

namespace crucible {

struct DashboardServerOptions {
  std::vector<std::string> run_dirs;
  std::string host = "127.0.0.1";
  int port = 8765;  // 0 = any free port (see port())
  int threads = 4;

  // kInvalidArgument naming the field: run_dirs empty, port outside
  // [0, 65535], threads < 1, host empty.
  Status Validate() const;
  // True for 127.0.0.0/8, ::1 and "localhost".
  bool IsLoopback() const;
};

// The Host header values a dashboard on host:port answers to (lower case):
// 127.0.0.1, localhost, [::1] and `host` itself, each with ":port".
std::vector<std::string> DashboardHostAllowList(const std::string& host, int port);
// Exact (case-insensitive) membership: "127.evil.com", "localhost:P@evil.com"
// and a missing or port-less Host are refused.
bool HostAllowed(const std::vector<std::string>& allow, const std::string& host_header);
// A dashboard bound to a wildcard (--host 0.0.0.0 or ::) is reached by any of
// the machine's addresses, which it cannot all list: it answers to an IP
// literal with its port ("192.0.2.7:P", "[2001:db8::1]:P") besides the
// allow-list. A name other than localhost is refused even then: a name can be
// rebound to this machine by its DNS (rebinding), an IP literal cannot.
bool IsWildcardHost(const std::string& host);
bool IsIpLiteralWithPort(const std::string& host_header, int port);

class DashboardServer {
 public:
  using Options = DashboardServerOptions;
  // Binds the socket (kUnavailable naming host and port when it cannot) and
  // starts serving on a background thread.
  static StatusOr<std::unique_ptr<DashboardServer>> Start(const Options& options);
  ~DashboardServer();  // stops and joins

  int port() const { return port_; }
  Dashboard& dashboard() { return *dashboard_; }
  void Stop();

 private:
  DashboardServer() = default;
  Options options_;
  int port_ = 0;
  // The Host values accepted; with a wildcard --host (0.0.0.0, ::) also IP
  // literals with the port (IsIpLiteralWithPort).
  std::vector<std::string> allowed_hosts_;
  bool wildcard_ = false;
  std::unique_ptr<Dashboard> dashboard_;
  std::unique_ptr<httplib::Server> server_;
  // Cuts slow (slowloris) and excess connections (http_guard.h).
  std::unique_ptr<HttpConnectionGuard> guard_;
  std::thread thread_;
};

}  // namespace crucible

#endif  // CRUCIBLE_DASHBOARD_SERVER_H_
