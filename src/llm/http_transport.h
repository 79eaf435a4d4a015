// HttpTransport: POSTs a body to a URL and returns the reply. The one door
// to the network of the LLM component, so tests can swap in a fake.
//
// CurlMultiTransport runs every request on ONE I/O thread through libcurl's
// multi interface: any number of requests are in flight at once while the
// callers (proposer threads) wait on their own request only. Post() is
// thread-safe and blocks the calling thread until the reply, a transport
// error, the request's timeout, or `stop`.
#ifndef CRUCIBLE_LLM_HTTP_TRANSPORT_H_
#define CRUCIBLE_LLM_HTTP_TRANSPORT_H_

#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "core/status.h"

namespace crucible {

struct HttpRequest {
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
  double timeout_seconds = 60;       // whole request, connection included
  double idle_timeout_seconds = 0;   // no byte for this long = timeout (0 = off)
};

struct HttpResponse {
  enum class Error { kNone, kTimeout, kTransport, kCancelled };
  Error error = Error::kNone;
  std::string error_message;  // for kTimeout/kTransport: libcurl's words
  long status = 0;            // HTTP status when error == kNone
  std::string body;
  // From retry-after-ms, or Retry-After as seconds or as an HTTP date.
  std::optional<double> retry_after_seconds;
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  virtual HttpResponse Post(const HttpRequest& request, std::stop_token stop) = 0;
};

// Creates the libcurl multi transport and its I/O thread. `max_connections`
// bounds the connections per host (0 = libcurl's default).
StatusOr<std::unique_ptr<HttpTransport>> MakeCurlMultiTransport(int max_connections);

}  // namespace crucible

#endif  // CRUCIBLE_LLM_HTTP_TRANSPORT_H_
