#pragma once
// One libcurl multi handle driven by one thread per process: many hundreds of concurrent
// HTTP/1.1 keep-alive requests without a thread per call. Requests are queued per host and
// only handed to curl while the host has a free connection, so a request's timeout counts
// from when it is actually sent, not from when it was queued.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace parallm::providers {

struct http_request {
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;                  // POSTed as is
  std::chrono::milliseconds timeout{60000};
  std::string ca_file;  // PEM bundle that verifies a TLS peer; empty = libcurl's default
};

struct http_response {
  int curl_code = 0;       // CURLcode; 0 = the exchange completed
  std::string curl_error;  // when curl_code != 0: curl's message, or "timeout after N ms"
  long status = 0;         // HTTP status, 0 when there was no response
  std::string body;
  // Response headers the providers read, lower-cased names; empty when absent.
  std::string retry_after;
  std::string retry_after_ms;
  // x-ratelimit-* and anthropic-ratelimit-*
  std::vector<std::pair<std::string, std::string>> rate_limit_headers;
  std::chrono::microseconds elapsed{0};  // from send to completion
};

struct http_engine_options {
  long max_connections_per_host = 256;
  long max_total_connections = 1024;
  // A larger response body fails its call (CURLE_FILESIZE_EXCEEDED, final) instead of
  // growing memory without bound.
  std::size_t max_response_bytes = std::size_t{64} << 20;
};

class http_engine {
 public:
  using completion = std::function<void(http_response)>;

  explicit http_engine(http_engine_options options = {});
  ~http_engine();  // stops the thread; pending requests complete with an error
  http_engine(const http_engine&) = delete;
  http_engine& operator=(const http_engine&) = delete;

  // Thread-safe. `done` runs once, on the engine's thread: keep it short (send a message,
  // don't compute). Should it throw, the engine survives and runs it once more with a
  // failed response (CURLE_ABORTED_BY_CALLBACK, the exception's message), so that the call
  // fails rather than vanishes; what that second run throws is dropped.
  void submit(http_request request, completion done);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace parallm::providers
