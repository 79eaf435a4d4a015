#include "llm/http_transport.h"

#include <curl/curl.h>

#include <atomic>
#include <algorithm>
#include <chrono>
#include <ctime>
#include <charconv>
#include <future>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace crucible {
namespace {

// One request owned by the I/O thread while it is in flight.
struct Pending {
  HttpRequest request;
  std::promise<HttpResponse> promise;
  std::atomic<bool> cancelled{false};
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  std::string body;
  char error[CURL_ERROR_SIZE] = {};
};

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  static_cast<Pending*>(user)->body.append(data, size * n);
  return size * n;
}

std::optional<double> HeaderSeconds(CURL* easy, const char* name, double scale) {
  curl_header* h = nullptr;
  if (curl_easy_header(easy, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK || !h) return std::nullopt;
  const std::string_view v = h->value;
  double x = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
  if (ec == std::errc() && x >= 0) return x * scale;
  if (scale != 1) return std::nullopt;
  // Retry-After as an HTTP date: the time left until then.
  const time_t when = curl_getdate(h->value, nullptr);
  if (when < 0) return std::nullopt;
  return std::max(0.0, std::difftime(when, std::time(nullptr)));
}

// retry-after-ms (OpenAI, Azure) wins over Retry-After (seconds or date).
std::optional<double> RetryAfter(CURL* easy) {
  if (auto ms = HeaderSeconds(easy, "retry-after-ms", 0.001)) return ms;
  return HeaderSeconds(easy, "Retry-After", 1);
}

class CurlMultiTransport final : public HttpTransport {
 public:
  explicit CurlMultiTransport(CURLM* multi) : multi_(multi) {
    thread_ = std::jthread([this](std::stop_token stop) { Loop(stop); });
  }
  ~CurlMultiTransport() override {
    thread_.request_stop();
    curl_multi_wakeup(multi_);
    thread_.join();
    curl_multi_cleanup(multi_);
  }

  HttpResponse Post(const HttpRequest& request, std::stop_token stop) override {
    auto p = std::make_shared<Pending>();
    p->request = request;
    std::future<HttpResponse> reply = p->promise.get_future();
    {
      std::lock_guard lock(mu_);
      incoming_.push_back(p);
    }
    curl_multi_wakeup(multi_);
    while (reply.wait_for(std::chrono::milliseconds(20)) != std::future_status::ready) {
      if (stop.stop_requested() && !p->cancelled.exchange(true)) curl_multi_wakeup(multi_);
    }
    return reply.get();
  }

 private:
  void Start(const std::shared_ptr<Pending>& p) {
    CURL* e = curl_easy_init();
    p->easy = e;
    for (const std::string& h : p->request.headers) p->headers = curl_slist_append(p->headers, h.c_str());
    curl_easy_setopt(e, CURLOPT_URL, p->request.url.c_str());
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, p->headers);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, p->request.body.c_str());
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(p->request.body.size()));
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, OnBody);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, p.get());
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, p->error);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(p->request.timeout_seconds * 1000));
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    if (p->request.idle_timeout_seconds > 0) {  // under 1 byte/s for that long
      curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
      curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME,
                       std::max(1L, static_cast<long>(p->request.idle_timeout_seconds)));
    }
    curl_easy_setopt(e, CURLOPT_PRIVATE, p.get());
    curl_multi_add_handle(multi_, e);
    active_[e] = p;
  }

  void Finish(CURL* e, CURLcode code) {
    auto it = active_.find(e);
    if (it == active_.end()) return;
    std::shared_ptr<Pending> p = it->second;
    active_.erase(it);
    HttpResponse r;
    if (p->cancelled) {
      r.error = HttpResponse::Error::kCancelled;
      r.error_message = "cancelled";
    } else if (code == CURLE_OPERATION_TIMEDOUT) {
      r.error = HttpResponse::Error::kTimeout;
      r.error_message = p->error[0] ? p->error : curl_easy_strerror(code);
    } else if (code != CURLE_OK) {
      r.error = HttpResponse::Error::kTransport;
      r.error_message = p->error[0] ? p->error : curl_easy_strerror(code);
    } else {
      curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r.status);
      r.retry_after_seconds = RetryAfter(e);
      r.body = std::move(p->body);
    }
    curl_multi_remove_handle(multi_, e);
    curl_easy_cleanup(e);
    curl_slist_free_all(p->headers);
    p->promise.set_value(std::move(r));
  }

  void Loop(std::stop_token stop) {
    while (!stop.stop_requested()) {
      std::vector<std::shared_ptr<Pending>> fresh;
      {
        std::lock_guard lock(mu_);
        fresh.swap(incoming_);
      }
      for (auto& p : fresh) Start(p);
      std::vector<CURL*> cancelled;
      for (auto& [e, p] : active_) {
        if (p->cancelled) cancelled.push_back(e);
      }
      for (CURL* e : cancelled) Finish(e, CURLE_ABORTED_BY_CALLBACK);
      int running = 0;
      curl_multi_perform(multi_, &running);
      int left = 0;
      while (CURLMsg* m = curl_multi_info_read(multi_, &left)) {
        if (m->msg == CURLMSG_DONE) Finish(m->easy_handle, m->data.result);
      }
      curl_multi_poll(multi_, nullptr, 0, 100, nullptr);
    }
    // Shutting down: whoever still waits gets a cancellation.
    std::vector<CURL*> rest;
    for (auto& [e, p] : active_) {
      p->cancelled = true;
      rest.push_back(e);
    }
    for (CURL* e : rest) Finish(e, CURLE_ABORTED_BY_CALLBACK);
    std::lock_guard lock(mu_);
    for (auto& p : incoming_) {
      HttpResponse r;
      r.error = HttpResponse::Error::kCancelled;
      r.error_message = "cancelled";
      p->promise.set_value(std::move(r));
    }
    incoming_.clear();
  }

  CURLM* multi_;
  std::mutex mu_;
  std::vector<std::shared_ptr<Pending>> incoming_;  // guarded by mu_
  std::unordered_map<CURL*, std::shared_ptr<Pending>> active_;  // I/O thread only
  std::jthread thread_;  // last: started after everything it uses
};

}  // namespace

StatusOr<std::unique_ptr<HttpTransport>> MakeCurlMultiTransport(int max_connections) {
  // curl_global_init is process-wide and not thread-safe before 7.84; do it
  // once, before any handle exists.
  static const CURLcode init = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (init != CURLE_OK) return InternalError("libcurl initialisation failed");
  CURLM* multi = curl_multi_init();
  if (!multi) return InternalError("curl_multi_init failed");
  if (max_connections > 0) {
    curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, static_cast<long>(max_connections));
  }
  return std::unique_ptr<HttpTransport>(new CurlMultiTransport(multi));
}

}  // namespace crucible
