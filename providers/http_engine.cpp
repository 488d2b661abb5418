#include "providers/http_engine.hpp"

#include <atomic>
#include <cstdio>
#include <deque>
#include <exception>
#include <mutex>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>

#include <curl/curl.h>

namespace parallm::providers {
namespace {

using steady = std::chrono::steady_clock;

// Short enough that a lost wakeup could never stall the engine for long; curl shortens it
// further whenever one of its own timers (timeouts, connects) is due sooner.
constexpr int poll_limit_ms = 1000;

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// "scheme://host:port": the unit that connections are pooled and counted by.
std::string_view host_of(std::string_view url) {
  const auto scheme = url.find("://");
  const auto start = scheme == std::string_view::npos ? 0 : scheme + 3;
  return url.substr(0, url.find_first_of("/?#", start));
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// `lowered` is lower case already.
bool starts_with_icase(std::string_view text, std::string_view lowered) {
  if (text.size() < lowered.size()) return false;
  for (std::size_t i = 0; i < lowered.size(); ++i) {
    if (lower(text[i]) != lowered[i]) return false;
  }
  return true;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' ||
                           text.back() == '\n')) {
    text.remove_suffix(1);
  }
  return text;
}

struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const {
    return std::hash<std::string_view>{}(text);
  }
};

struct pending {
  http_request request;
  http_engine::completion done;
};

struct host_queue {
  long running = 0;
  std::deque<pending> waiting;
};

// One reusable easy handle with everything that must outlive its transfer: the POST body
// (curl does not copy it) and the header list.
struct transfer {
  CURL* easy = nullptr;
  curl_slist* header_list = nullptr;
  std::vector<std::string> header_lines;  // what header_list was built from
  std::string ca_file;                    // what CURLOPT_CAINFO was set from
  char error[CURL_ERROR_SIZE] = {};       // curl's own account of a failure
  http_request request;
  http_engine::completion done;
  http_response response;
  host_queue* host = nullptr;  // set while the transfer runs
  steady::time_point started;
  std::size_t max_body = 0;
  bool too_large = false;  // the body passed max_body: the transfer was stopped
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto& t = *static_cast<transfer*>(user);
  const auto n = size * count;
  if (n > t.max_body - t.response.body.size()) {
    // Returning short makes curl stop the transfer; what was read is let go at once.
    t.too_large = true;
    std::string().swap(t.response.body);
    return 0;
  }
  t.response.body.append(data, n);
  return n;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto& response = static_cast<transfer*>(user)->response;
  const std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    // A new response begins (after an interim 1xx): forget the previous one's headers.
    response.retry_after.clear();
    response.retry_after_ms.clear();
    response.rate_limit_headers.clear();
    return line.size();
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return line.size();
  const auto name = line.substr(0, colon);
  const auto value = trim(line.substr(colon + 1));
  if (name.size() == 11 && starts_with_icase(name, "retry-after")) {
    response.retry_after.assign(value);
  } else if (name.size() == 14 && starts_with_icase(name, "retry-after-ms")) {
    response.retry_after_ms.assign(value);
  } else if (starts_with_icase(name, "x-ratelimit-") ||
             starts_with_icase(name, "anthropic-ratelimit-")) {
    std::string lowered(name);
    for (auto& c : lowered) c = lower(c);
    response.rate_limit_headers.emplace_back(std::move(lowered), std::string(value));
  }
  return line.size();
}

// The bundle libcurl was built to use (Debian: /etc/ssl/certs/ca-certificates.crt), to go back
// to after a request with a bundle of its own.
const char* default_ca_file() {
  static const char* const bundle = curl_version_info(CURLVERSION_NOW)->cainfo;
  return bundle;
}

http_response aborted() {
  http_response response;
  response.curl_code = CURLE_ABORTED_BY_CALLBACK;
  response.curl_error = "request aborted: the HTTP engine stopped";
  return response;
}

std::string mebibytes(std::size_t bytes) {
  if (bytes % (std::size_t{1} << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  return std::to_string(bytes) + " bytes";
}

// Runs a completion so that nothing it throws can reach the engine's thread (which would end
// the process): a throwing completion is told its call failed, once.
void deliver(http_engine::completion& done, http_response response) {
  std::string what;
  try {
    done(std::move(response));
    return;
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
    what = "unknown exception";
  }
  http_response failed;
  failed.curl_code = CURLE_ABORTED_BY_CALLBACK;
  failed.curl_error = "internal error while completing the call: " + what;
  try {
    done(std::move(failed));
  } catch (...) {
    std::fputs("parallm: an HTTP completion failed twice; its call is lost\n", stderr);
  }
}

}  // namespace

struct http_engine::impl {
  http_engine_options options;
  CURLM* multi = curl_multi_init();
  std::mutex mutex;
  std::vector<pending> incoming;  // guarded by mutex
  bool closed = false;            // guarded by mutex
  std::atomic<bool> stopping{false};

  // Owned by the engine thread.
  std::vector<pending> batch;
  std::unordered_map<std::string, host_queue, string_hash, std::equal_to<>> hosts;
  std::vector<std::unique_ptr<transfer>> transfers;
  std::vector<transfer*> idle;

  std::thread thread;  // last: it starts once everything above exists

  explicit impl(http_engine_options opts) : options(opts) {
    curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, options.max_connections_per_host);
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, options.max_total_connections);
    thread = std::thread([this] { run(); });
  }

  ~impl() {
    for (auto& t : transfers) {
      curl_slist_free_all(t->header_list);
      curl_easy_cleanup(t->easy);
    }
    curl_multi_cleanup(multi);
  }

  void run() {
    while (!stopping.load(std::memory_order_acquire)) {
      take_incoming();
      int running = 0;
      curl_multi_perform(multi, &running);
      collect_finished();
      curl_multi_poll(multi, nullptr, 0, poll_limit_ms, nullptr);
    }
    abort_everything();
  }

  void take_incoming() {
    {
      std::lock_guard lock(mutex);
      batch.swap(incoming);
    }
    for (auto& p : batch) {
      const auto key = host_of(p.request.url);
      auto found = hosts.find(key);
      if (found == hosts.end()) found = hosts.emplace(std::string(key), host_queue{}).first;
      auto& host = found->second;
      if (host.running < options.max_connections_per_host && host.waiting.empty()) {
        start(std::move(p), host);
      } else {
        host.waiting.push_back(std::move(p));
      }
    }
    batch.clear();
  }

  transfer* idle_transfer() {
    if (!idle.empty()) {
      auto* t = idle.back();
      idle.pop_back();
      return t;
    }
    auto t = std::make_unique<transfer>();
    t->easy = curl_easy_init();
    curl_easy_setopt(t->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t.get());
    curl_easy_setopt(t->easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(t->easy, CURLOPT_WRITEDATA, t.get());
    curl_easy_setopt(t->easy, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(t->easy, CURLOPT_HEADERDATA, t.get());
    curl_easy_setopt(t->easy, CURLOPT_ERRORBUFFER, t->error);
    curl_easy_setopt(t->easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
    curl_easy_setopt(t->easy, CURLOPT_POST, 1L);
    // A Content-Length over the cap is refused before its body is read.
    curl_easy_setopt(t->easy, CURLOPT_MAXFILESIZE_LARGE,
                     static_cast<curl_off_t>(options.max_response_bytes));
    transfers.push_back(std::move(t));
    return transfers.back().get();
  }

  void use_headers(transfer& t) {
    if (t.header_list != nullptr && t.header_lines == t.request.headers) return;
    curl_slist_free_all(t.header_list);
    // An empty "Expect:" keeps curl from waiting for 100-continue on large bodies.
    t.header_list = curl_slist_append(nullptr, "Expect:");
    for (const auto& line : t.request.headers) {
      t.header_list = curl_slist_append(t.header_list, line.c_str());
    }
    t.header_lines = t.request.headers;
    curl_easy_setopt(t.easy, CURLOPT_HTTPHEADER, t.header_list);
  }

  // The CA bundle is per request (per provider) but rarely changes: set it only when it does.
  static void use_ca_file(transfer& t) {
    if (t.ca_file == t.request.ca_file) return;
    t.ca_file = t.request.ca_file;
    const char* bundle = t.ca_file.empty() ? default_ca_file() : t.ca_file.c_str();
    curl_easy_setopt(t.easy, CURLOPT_CAINFO, bundle);
  }

  void start(pending&& p, host_queue& host) {
    auto* t = idle_transfer();
    t->request = std::move(p.request);
    t->done = std::move(p.done);
    t->error[0] = '\0';
    t->max_body = options.max_response_bytes;
    t->too_large = false;
    use_headers(*t);
    use_ca_file(*t);
    curl_easy_setopt(t->easy, CURLOPT_URL, t->request.url.c_str());
    curl_easy_setopt(t->easy, CURLOPT_POSTFIELDS, t->request.body.data());
    curl_easy_setopt(t->easy, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(t->request.body.size()));
    curl_easy_setopt(t->easy, CURLOPT_TIMEOUT_MS, static_cast<long>(t->request.timeout.count()));
    t->started = steady::now();
    if (const auto code = curl_multi_add_handle(multi, t->easy); code != CURLM_OK) {
      auto response = std::move(t->response);
      response.curl_code = CURLE_FAILED_INIT;
      response.curl_error = curl_multi_strerror(code);
      auto done = release(*t);
      deliver(done, std::move(response));
      return;
    }
    t->host = &host;
    ++host.running;
  }

  // Hands the transfer back to the idle list and returns what its caller must be told.
  completion release(transfer& t) {
    auto done = std::move(t.done);
    t.done = nullptr;
    t.response = http_response{};
    t.host = nullptr;
    idle.push_back(&t);
    return done;
  }

  void collect_finished() {
    int left = 0;
    while (CURLMsg* message = curl_multi_info_read(multi, &left)) {
      if (message->msg != CURLMSG_DONE) continue;
      const auto code = message->data.result;
      transfer* t = nullptr;
      curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &t);
      curl_multi_remove_handle(multi, t->easy);
      finish(*t, code);
    }
  }

  void finish(transfer& t, CURLcode code) {
    auto response = std::move(t.response);
    response.elapsed =
        std::chrono::duration_cast<std::chrono::microseconds>(steady::now() - t.started);
    response.curl_code = code;
    curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &response.status);
    if (t.too_large || code == CURLE_FILESIZE_EXCEEDED) {
      response.curl_code = CURLE_FILESIZE_EXCEEDED;
      response.curl_error = "response larger than " + mebibytes(options.max_response_bytes) +
                            " (the HTTP engine's max_response_bytes)";
      response.body.clear();
    } else if (code == CURLE_OPERATION_TIMEDOUT) {
      response.curl_error = "timeout after " + std::to_string(t.request.timeout.count()) + " ms";
    } else if (code != CURLE_OK) {
      response.curl_error = t.error[0] != '\0' ? std::string(t.error) : curl_easy_strerror(code);
    }
    auto& host = *t.host;
    --host.running;
    auto done = release(t);
    // Refill the connection before running the callback, so it never idles on our account.
    while (host.running < options.max_connections_per_host && !host.waiting.empty()) {
      auto next = std::move(host.waiting.front());
      host.waiting.pop_front();
      start(std::move(next), host);
    }
    deliver(done, std::move(response));
  }

  void abort_everything() {
    {
      std::lock_guard lock(mutex);
      closed = true;
      batch.swap(incoming);
    }
    for (auto& t : transfers) {
      if (t->host == nullptr) continue;
      curl_multi_remove_handle(multi, t->easy);
      --t->host->running;
      auto done = release(*t);
      deliver(done, aborted());
    }
    for (auto& [key, host] : hosts) {
      for (auto& p : host.waiting) deliver(p.done, aborted());
      host.waiting.clear();
    }
    for (auto& p : batch) deliver(p.done, aborted());
    batch.clear();
  }
};

http_engine::http_engine(http_engine_options options) {
  init_curl_once();
  impl_ = std::make_unique<impl>(options);
}

http_engine::~http_engine() {
  impl_->stopping.store(true, std::memory_order_release);
  curl_multi_wakeup(impl_->multi);
  impl_->thread.join();
}

void http_engine::submit(http_request request, completion done) {
  bool wake = false;
  {
    std::lock_guard lock(impl_->mutex);
    if (!impl_->closed) {
      // The engine drains the whole queue at once: only the first arrival needs a wakeup.
      wake = impl_->incoming.empty();
      impl_->incoming.push_back({std::move(request), std::move(done)});
      done = nullptr;
    }
  }
  if (done) {
    deliver(done, aborted());
    return;
  }
  if (wake) curl_multi_wakeup(impl_->multi);
}

}  // namespace parallm::providers
