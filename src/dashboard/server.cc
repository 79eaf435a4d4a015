#include "dashboard/server.h"

#include <fmt/format.h>
#include <httplib.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <zlib.h>

#include <algorithm>
#include <memory>
#include <optional>

namespace crucible {
namespace {

// gzip at level 1 (fast); nullopt if zlib fails.
std::optional<std::string> GzipFast(const std::string& in) {
  z_stream z{};
  if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return std::nullopt;
  std::string out(deflateBound(&z, in.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return std::nullopt;
  out.resize(z.total_out);
  return out;
}

bool IsLoopbackHost(std::string host) {
  // Strip a port: "[::1]:8765", "127.0.0.1:8765", "localhost:8765".
  if (!host.empty() && host.front() == '[') {
    const size_t end = host.find(']');
    host = host.substr(1, end == std::string::npos ? std::string::npos : end - 1);
  } else if (size_t colon = host.rfind(':'); colon != std::string::npos &&
                                              host.find(':') == colon) {
    host = host.substr(0, colon);
  }
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Connections served at once (one thread each). A client that stalls or
// trickles its request holds one until the read timeout (no byte for 3 s)
// or the guard (no answer within 8 s of arriving, http_guard.h) drops it,
// so even 32 such clients only delay the others, by 8 s at most.
constexpr int kMinConnectionThreads = 32;
constexpr time_t kReadTimeoutSeconds = 3;
constexpr time_t kKeepAliveSeconds = 2;
constexpr size_t kMaxHeaders = 100;

}  // namespace

std::vector<std::string> DashboardHostAllowList(const std::string& host, int port) {
  std::vector<std::string> names = {"127.0.0.1", "localhost", "[::1]"};
  const std::string given = host.find(':') != std::string::npos && host.front() != '['
                                ? "[" + host + "]"
                                : host;
  if (std::find(names.begin(), names.end(), Lower(given)) == names.end()) {
    names.push_back(Lower(given));
  }
  for (std::string& name : names) name += ":" + std::to_string(port);
  return names;
}

bool HostAllowed(const std::vector<std::string>& allow, const std::string& host_header) {
  return std::find(allow.begin(), allow.end(), Lower(host_header)) != allow.end();
}

bool IsWildcardHost(const std::string& host) {
  return host == "0.0.0.0" || host == "::" || host == "[::]";
}

bool IsIpLiteralWithPort(const std::string& host_header, int port) {
  const std::string suffix = ":" + std::to_string(port);
  if (host_header.size() <= suffix.size() ||
      host_header.compare(host_header.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return false;
  }
  std::string addr = host_header.substr(0, host_header.size() - suffix.size());
  unsigned char buf[sizeof(in6_addr)];
  if (addr.size() > 2 && addr.front() == '[' && addr.back() == ']') {
    return inet_pton(AF_INET6, addr.substr(1, addr.size() - 2).c_str(), buf) == 1;
  }
  // inet_pton's AF_INET takes only the dotted quad (not "127.1" or hex forms).
  return inet_pton(AF_INET, addr.c_str(), buf) == 1;
}

Status DashboardServerOptions::Validate() const {
  if (run_dirs.empty()) return InvalidArgumentError("run_dirs: give at least one run directory");
  if (host.empty()) return InvalidArgumentError("host must not be empty");
  if (port < 0 || port > 65535) {
    return InvalidArgumentError(fmt::format("port must be in [0, 65535] (got {})", port));
  }
  if (threads < 1) return InvalidArgumentError(fmt::format("threads must be >= 1 (got {})", threads));
  return Status::Ok();
}

bool DashboardServerOptions::IsLoopback() const { return IsLoopbackHost(host); }

StatusOr<std::unique_ptr<DashboardServer>> DashboardServer::Start(const Options& options) {
  RETURN_IF_ERROR(options.Validate());
  std::unique_ptr<DashboardServer> s(new DashboardServer());
  s->options_ = options;
  s->dashboard_ = std::make_unique<Dashboard>(options.run_dirs);
  s->server_ = std::make_unique<httplib::Server>();
  httplib::Server& svr = *s->server_;
  const int threads = options.threads;
  // httplib's default also sets SO_REUSEPORT, which would let a second
  // dashboard bind the same port and split the requests: SO_REUSEADDR only.
  svr.set_socket_options([](int sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, reinterpret_cast<const void*>(&yes), sizeof(yes));
  });
  const int connection_threads = std::max(threads, kMinConnectionThreads);
  svr.new_task_queue = [connection_threads] { return new httplib::ThreadPool(connection_threads); };
  svr.set_read_timeout(kReadTimeoutSeconds, 0);
  svr.set_write_timeout(kReadTimeoutSeconds * 2, 0);
  svr.set_keep_alive_timeout(kKeepAliveSeconds);
  svr.set_keep_alive_max_count(100);
  svr.set_payload_max_length(64 << 10);
  Dashboard* dash = s->dashboard_.get();
  DashboardServer* self = s.get();
  // Runs once the headers are read, before any body: a request with the
  // wrong Host (DNS rebinding) or a method other than GET/HEAD is answered
  // at once and the connection closed, without waiting for a body.
  svr.set_pre_routing_handler([self](const httplib::Request& req, httplib::Response& res) {
    // One Host header (RFC 9112: two are a bad request; httplib would read
    // the first) and a bounded number of headers.
    if (req.get_header_value_count("Host") > 1 || req.headers.size() > kMaxHeaders) {
      res.status = req.headers.size() > kMaxHeaders ? 431 : 400;
      res.set_header("Connection", "close");
      return httplib::Server::HandlerResponse::Handled;
    }
    const std::string host = req.get_header_value("Host");
    if (HostAllowed(self->allowed_hosts_, host) ||
        (self->wildcard_ && IsIpLiteralWithPort(host, self->port_))) {
      if (req.method == "GET" || req.method == "HEAD") return httplib::Server::HandlerResponse::Unhandled;
      res.status = 405;
      res.set_header("Allow", "GET, HEAD");
      res.set_content("{\"error\": \"the dashboard is read-only\"}", "application/json");
    } else {
      res.status = 403;
      res.set_content("{\"error\": \"this dashboard answers only to the Host names it was started "
                      "for (127.0.0.1, localhost, [::1] and --host, with the port; an IP address "
                      "with the port when --host is 0.0.0.0 or ::)\"}",
                      "application/json");
    }
    res.set_header("Connection", "close");
    return httplib::Server::HandlerResponse::Handled;
  });
  auto handler = [dash](const httplib::Request& req, httplib::Response& res) {
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Cache-Control", "no-store");
    res.set_header("Referrer-Policy", "no-referrer");
    res.set_header("Content-Security-Policy",
                   "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                   "connect-src 'self'; frame-ancestors 'none'");
    std::map<std::string, std::string> query;
    for (const auto& [k, v] : req.params) query[k] = v;
    DashboardResponse r = dash->Handle(req.method, req.path, query);
    res.status = r.status;
    // Debian's httplib would otherwise brotli-compress (quality 11) every
    // response a browser accepts br for: seconds of CPU for a 10^5-candidate
    // score chart. Fast gzip instead (and no httplib compression, below).
    if (r.body.size() > 1024 && req.get_header_value("Accept-Encoding").find("gzip") != std::string::npos) {
      if (std::optional<std::string> z = GzipFast(r.body)) {
        res.set_header("Content-Encoding", "gzip");
        res.set_header("Vary", "Accept-Encoding");
        r.body = std::move(*z);
      }
    }
    // A content provider with a known length: httplib compresses `body`
    // and chunked providers (brotli first), but sends these as they are.
    auto body = std::make_shared<std::string>(std::move(r.body));
    res.set_content_provider(
        body->size(), r.content_type,
        [body](size_t offset, size_t length, httplib::DataSink& sink) {
          return sink.write(body->data() + offset, std::min(length, body->size() - offset));
        });
  };
  svr.Get(".*", handler);
  auto read_only = [](const httplib::Request&, httplib::Response& res) {
    res.status = 405;
    res.set_content("{\"error\": \"the dashboard is read-only\"}", "application/json");
  };
  svr.Post(".*", read_only);
  svr.Put(".*", read_only);
  svr.Delete(".*", read_only);
  svr.Patch(".*", read_only);
  svr.Options(".*", [](const httplib::Request&, httplib::Response& res) { res.status = 405; });
  const int port = options.port == 0 ? svr.bind_to_any_port(options.host)
                                     : (svr.bind_to_port(options.host, options.port) ? options.port : -1);
  if (port < 0) {
    return UnavailableError(fmt::format("cannot listen on {}:{} (in use, or not an address of this "
                                        "machine); choose another --port or --host",
                                        options.host, options.port));
  }
  s->port_ = port;
  // Set before the serving thread starts (which orders them before its reads).
  s->allowed_hosts_ = DashboardHostAllowList(options.host, port);
  s->wildcard_ = IsWildcardHost(options.host);
  HttpConnectionGuardOptions guard;
  guard.port = port;
  RETURN_IF_ERROR(guard.Validate());
  s->guard_ = std::make_unique<HttpConnectionGuard>(guard);
  s->thread_ = std::thread([&svr] { svr.listen_after_bind(); });
  return s;
}

void DashboardServer::Stop() {
  if (guard_) guard_->Stop();
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

DashboardServer::~DashboardServer() { Stop(); }

}  // namespace crucible
