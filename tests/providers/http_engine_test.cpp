#define BOOST_TEST_MODULE http_engine
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <curl/curl.h>

#include "providers/http_engine.hpp"
#include "providers/rate_headers.hpp"
#include "support/fake_upstream.hpp"

using namespace parallm::providers;
using parallm::test::fake_upstream;
using std::chrono::milliseconds;

namespace {

// Counts completions and keeps their responses, waiting a bounded time for all of them.
class collector {
 public:
  explicit collector(std::size_t expected) : responses_(expected) {}

  http_engine::completion slot(std::size_t index) {
    return [this, index](http_response response) {
      std::lock_guard lock(mutex_);
      responses_[index] = std::move(response);
      ++calls_[index];
      ++done_;
      changed_.notify_all();
    };
  }

  bool wait(milliseconds limit = std::chrono::seconds(20)) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, limit, [&] { return done_ >= responses_.size(); });
  }

  std::size_t done() {
    std::lock_guard lock(mutex_);
    return done_;
  }
  // Read after wait(): the engine writes no more.
  const http_response& at(std::size_t index) const { return *responses_[index]; }
  int calls(std::size_t index) const { return calls_.at(index); }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::optional<http_response>> responses_;
  std::vector<int> calls_ = std::vector<int>(responses_.size(), 0);
  std::size_t done_ = 0;
};

// Boost.Test prints what it compares, and cannot print a duration.
long long ms(std::chrono::nanoseconds duration) {
  return std::chrono::duration_cast<milliseconds>(duration).count();
}

http_request post(const std::string& url, milliseconds timeout = std::chrono::seconds(10)) {
  http_request request;
  request.url = url;
  request.headers = {"Content-Type: application/json"};
  request.body = R"({"model":"fake","messages":[{"role":"user","content":"ping"}]})";
  request.timeout = timeout;
  return request;
}

http_response fetch(http_engine& engine, http_request request) {
  collector one(1);
  engine.submit(std::move(request), one.slot(0));
  BOOST_REQUIRE(one.wait());
  return one.at(0);
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_post_gets_the_answer) {
  fake_upstream upstream;
  http_engine engine;
  const auto response = fetch(engine, post(upstream.base_url("/v1/chat/completions")));
  BOOST_TEST(response.curl_code == 0);
  BOOST_TEST(response.curl_error.empty());
  BOOST_TEST(response.status == 200);
  BOOST_TEST(response.body.find(R"("content":"pong")") != std::string::npos);
  BOOST_TEST(response.retry_after.empty());
  BOOST_TEST(response.elapsed.count() > 0);
}

BOOST_AUTO_TEST_CASE(request_headers_arrive) {
  fake_upstream upstream;
  http_engine engine;
  auto request = post(upstream.base_url("/echo-headers/v1/chat/completions"));
  request.headers.push_back("Authorization: Bearer sk-abc");
  request.headers.push_back("x-api-key: key-2");
  const auto first = fetch(engine, request);
  BOOST_TEST(first.body.find("authorization=[Bearer sk-abc] x-api-key=[key-2]") !=
             std::string::npos);
  // A reused handle with other headers sends the new ones, not the cached list.
  request.headers = {"x-api-key: key-3"};
  const auto second = fetch(engine, request);
  BOOST_TEST(second.body.find("authorization=[] x-api-key=[key-3]") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(many_concurrent_requests_from_several_threads_complete_exactly_once) {
  fake_upstream upstream;
  const auto before = upstream.counters();
  constexpr std::size_t per_thread = 1000;
  constexpr std::size_t threads = 3;
  collector all(per_thread * threads);
  {
    http_engine engine({.max_connections_per_host = 16, .max_total_connections = 64});
    std::vector<std::thread> submitters;
    for (std::size_t t = 0; t < threads; ++t) {
      submitters.emplace_back([&, t] {
        for (std::size_t i = 0; i < per_thread; ++i) {
          engine.submit(post(upstream.base_url("/v1/chat/completions")),
                        all.slot(t * per_thread + i));
        }
      });
    }
    for (auto& s : submitters) s.join();
    BOOST_REQUIRE(all.wait());
  }
  for (std::size_t i = 0; i < per_thread * threads; ++i) {
    BOOST_TEST_REQUIRE(all.calls(i) == 1);
    BOOST_TEST_REQUIRE(all.at(i).status == 200);
  }
  const auto after = upstream.counters();
  // The second counters() read is one request of its own.
  BOOST_TEST(after.requests - before.requests - 1 == per_thread * threads);
}

BOOST_AUTO_TEST_CASE(connections_are_kept_alive_and_bounded_per_host) {
  fake_upstream upstream;
  const auto before = upstream.counters();
  constexpr std::size_t count = 400;
  collector all(count);
  http_engine engine({.max_connections_per_host = 4, .max_total_connections = 16});
  for (std::size_t i = 0; i < count; ++i) {
    engine.submit(post(upstream.base_url("/v1/chat/completions")), all.slot(i));
  }
  BOOST_REQUIRE(all.wait());
  const auto after = upstream.counters();
  // Minus the connection that read the counters.
  BOOST_TEST(after.accepted_connections - before.accepted_connections - 1 <= 4u);
}

// Ten 100 ms answers through two connections: five rounds, so the last pair waits ~400 ms in
// the queue. A 400 ms timeout counted from queueing would fail them; counted from sending it
// leaves each call 300 ms of slack for a loaded machine.
BOOST_AUTO_TEST_CASE(timeout_counts_from_send_not_from_queueing) {
  fake_upstream upstream;
  http_engine engine({.max_connections_per_host = 2, .max_total_connections = 4});
  constexpr std::size_t count = 10;
  collector all(count);
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < count; ++i) {
    engine.submit(post(upstream.base_url("/lat100/v1/chat/completions"), milliseconds(400)),
                  all.slot(i));
  }
  BOOST_REQUIRE(all.wait());
  const auto wall = std::chrono::steady_clock::now() - start;
  for (std::size_t i = 0; i < count; ++i) {
    BOOST_TEST(all.at(i).curl_code == 0, all.at(i).curl_error);
    BOOST_TEST(all.at(i).status == 200);
    BOOST_TEST(ms(all.at(i).elapsed) < 400);
  }
  // Five rounds of 100 ms: the later pairs waited in the queue, not on the wire.
  BOOST_TEST(ms(wall) >= 500);
}

BOOST_AUTO_TEST_CASE(a_slow_answer_times_out) {
  fake_upstream upstream;
  http_engine engine;
  const auto response =
      fetch(engine, post(upstream.base_url("/slow/v1/chat/completions"), milliseconds(200)));
  BOOST_TEST(response.curl_code == CURLE_OPERATION_TIMEDOUT);
  BOOST_TEST(response.curl_error == "timeout after 200 ms");
  BOOST_TEST(response.status == 0);
  BOOST_TEST(ms(response.elapsed) >= 200);
  BOOST_TEST(ms(response.elapsed) < 1500);
}

BOOST_AUTO_TEST_CASE(a_closed_port_refuses_the_connection) {
  http_engine engine;
  const auto port = parallm::test::pick_free_port();
  const auto response =
      fetch(engine, post("http://127.0.0.1:" + std::to_string(port) + "/v1/chat/completions"));
  BOOST_TEST(response.curl_code == CURLE_COULDNT_CONNECT);
  // curl's own account names the address it tried.
  BOOST_TEST(response.curl_error.starts_with("Failed to connect to 127.0.0.1 port " +
                                             std::to_string(port)),
             response.curl_error);
  BOOST_TEST(response.status == 0);
}

BOOST_AUTO_TEST_CASE(a_closed_connection_gets_nothing) {
  fake_upstream upstream;
  http_engine engine;
  const auto response = fetch(engine, post(upstream.base_url("/close/v1/chat/completions")));
  BOOST_TEST(response.curl_code == CURLE_GOT_NOTHING);
  BOOST_TEST(!response.curl_error.empty());
  // The engine goes on working after a dropped connection.
  BOOST_TEST(fetch(engine, post(upstream.base_url("/v1/chat/completions"))).status == 200);
}

BOOST_AUTO_TEST_CASE(rate_limit_headers_are_captured_case_insensitively) {
  fake_upstream upstream;
  http_engine engine;
  const auto response = fetch(engine, post(upstream.base_url("/r429/v1/chat/completions")));
  BOOST_TEST(response.curl_code == 0);
  BOOST_TEST(response.status == 429);
  BOOST_TEST(response.retry_after == "1");
  BOOST_TEST(response.retry_after_ms.empty());
  const auto& headers = response.rate_limit_headers;
  BOOST_TEST_REQUIRE(headers.size() == 2u);
  BOOST_TEST(headers[0].first == "x-ratelimit-remaining-requests");
  BOOST_TEST(headers[0].second == "0");
  BOOST_TEST(headers[1].first == "x-ratelimit-reset-requests");
  BOOST_TEST(headers[1].second == "1s");
  BOOST_TEST(response.body.find("Rate limit reached") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(anthropic_rate_limit_headers_are_captured_and_read) {
  fake_upstream upstream;
  http_engine engine;
  const auto response =
      fetch(engine, post(upstream.base_url("/anthropic-rl/anthropic/v1/messages")));
  BOOST_TEST(response.status == 200);
  BOOST_TEST(response.body.find(R"("text":"pong")") != std::string::npos);
  const auto& headers = response.rate_limit_headers;
  // All twelve, in the order sent, lower-cased; anthropic-organization-id is no rate limit.
  BOOST_TEST_REQUIRE(headers.size() == 12u);
  BOOST_TEST(headers[0].first == "anthropic-ratelimit-requests-limit");
  BOOST_TEST(headers[0].second == "50");
  BOOST_TEST(headers[2].first == "anthropic-ratelimit-requests-reset");
  BOOST_TEST(headers[2].second == "2024-01-01T00:00:01.2Z");
  BOOST_TEST(headers[11].first == "anthropic-ratelimit-output-tokens-reset");
  for (const auto& [name, value] : headers) BOOST_TEST(name.starts_with("anthropic-ratelimit-"));

  const auto rate =
      read_rate_headers(headers, std::chrono::sys_days{std::chrono::January / 1 / 2024});
  BOOST_TEST(rate.limit_requests.value() == 50.0);
  BOOST_TEST(rate.remaining_requests.value() == 49.0);
  BOOST_TEST(rate.reset_requests.value().count() == 1200);
  BOOST_TEST(rate.limit_tokens.value() == 96000.0);
  BOOST_TEST(rate.remaining_tokens.value() == 95000.0);
  BOOST_TEST(rate.reset_tokens.value().count() == 625);
}

BOOST_AUTO_TEST_CASE(headers_of_one_answer_do_not_leak_into_the_next) {
  fake_upstream upstream;
  http_engine engine({.max_connections_per_host = 1, .max_total_connections = 1});
  BOOST_TEST(fetch(engine, post(upstream.base_url("/r429/v1/chat/completions"))).status == 429);
  const auto next = fetch(engine, post(upstream.base_url("/v1/chat/completions")));
  BOOST_TEST(next.status == 200);
  BOOST_TEST(next.retry_after.empty());
  BOOST_TEST(next.rate_limit_headers.empty());
}

BOOST_AUTO_TEST_CASE(a_malformed_url_fails_without_stopping_the_engine) {
  fake_upstream upstream;
  http_engine engine;
  const auto response = fetch(engine, post("no-scheme://"));
  BOOST_TEST(response.curl_code != 0);
  BOOST_TEST(!response.curl_error.empty());
  BOOST_TEST(fetch(engine, post(upstream.base_url("/v1/chat/completions"))).status == 200);
}

BOOST_AUTO_TEST_CASE(destroying_the_engine_completes_running_and_queued_requests) {
  fake_upstream upstream;
  constexpr std::size_t count = 6;
  collector all(count);
  const auto start = std::chrono::steady_clock::now();
  {
    http_engine engine({.max_connections_per_host = 2, .max_total_connections = 2});
    for (std::size_t i = 0; i < count; ++i) {
      engine.submit(post(upstream.base_url("/slow/v1/chat/completions")), all.slot(i));
    }
    std::this_thread::sleep_for(milliseconds(100));
  }
  BOOST_TEST(all.done() == count);
  BOOST_TEST(ms(std::chrono::steady_clock::now() - start) < 1000);
  for (std::size_t i = 0; i < count; ++i) {
    BOOST_TEST(all.calls(i) == 1);
    BOOST_TEST(all.at(i).curl_code == CURLE_ABORTED_BY_CALLBACK);
    BOOST_TEST(all.at(i).curl_error == "request aborted: the HTTP engine stopped");
  }
}

BOOST_AUTO_TEST_CASE(https_is_verified_against_the_request_ca_file_or_the_system_bundle) {
  fake_upstream upstream({.tls = true});
  http_engine engine;
  const auto url = upstream.tls_base_url("/v1/chat/completions");
  auto trusted = post(url);
  trusted.ca_file = upstream.certificate().string();

  const auto ok = fetch(engine, trusted);
  BOOST_TEST(ok.curl_code == 0, ok.curl_error);
  BOOST_TEST(ok.status == 200);
  BOOST_TEST(ok.body.find(R"("content":"pong")") != std::string::npos);

  // The system bundle does not know the test's own certificate: the peer is refused, and
  // curl says why.
  const auto refused = fetch(engine, post(url));
  BOOST_TEST(refused.curl_code == CURLE_PEER_FAILED_VERIFICATION);
  BOOST_TEST(refused.curl_error.find("certificate") != std::string::npos, refused.curl_error);
  BOOST_TEST(refused.status == 0);

  // The reused handles switch bundles back and forth, and plain HTTP is unaffected.
  BOOST_TEST(fetch(engine, trusted).status == 200);
  BOOST_TEST(fetch(engine, post(url)).curl_code == CURLE_PEER_FAILED_VERIFICATION);
  BOOST_TEST(fetch(engine, post(upstream.base_url("/v1/chat/completions"))).status == 200);
}

BOOST_AUTO_TEST_CASE(a_response_over_the_size_cap_fails_its_call_only) {
  fake_upstream upstream;
  // The default cap takes the 1 MiB body whole.
  {
    http_engine engine;
    const auto whole = fetch(engine, post(upstream.base_url("/big/v1/chat/completions")));
    BOOST_TEST(whole.curl_code == 0);
    BOOST_TEST(whole.body.size() == std::size_t{1} << 20);
  }
  http_engine engine({.max_connections_per_host = 1,
                      .max_total_connections = 1,
                      .max_response_bytes = std::size_t{256} << 10});
  const auto big = fetch(engine, post(upstream.base_url("/big/v1/chat/completions")));
  BOOST_TEST(big.curl_code == CURLE_FILESIZE_EXCEEDED);
  BOOST_TEST(big.curl_error ==
             "response larger than 262144 bytes (the HTTP engine's "
             "max_response_bytes)");
  BOOST_TEST(big.body.empty());
  // The same handle serves the next call in full.
  const auto next = fetch(engine, post(upstream.base_url("/v1/chat/completions")));
  BOOST_TEST(next.curl_code == 0);
  BOOST_TEST(next.status == 200);
  BOOST_TEST(next.body.find(R"("content":"pong")") != std::string::npos);
  BOOST_TEST(http_engine_options{}.max_response_bytes == std::size_t{64} << 20);
}

BOOST_AUTO_TEST_CASE(a_content_length_over_the_cap_is_refused_before_the_body) {
  fake_upstream upstream;
  // /r400/ answers with a Content-Length (nginx's return) of about 130 bytes.
  http_engine engine({.max_response_bytes = 64});
  const auto refused = fetch(engine, post(upstream.base_url("/r400/v1/chat/completions")));
  BOOST_TEST(refused.curl_code == CURLE_FILESIZE_EXCEEDED);
  BOOST_TEST(refused.curl_error ==
             "response larger than 64 bytes (the HTTP engine's max_response_bytes)");
  BOOST_TEST(refused.body.empty());
}

BOOST_AUTO_TEST_CASE(a_completion_that_throws_fails_its_call_not_the_process) {
  fake_upstream upstream;
  http_engine engine;
  collector told(1);
  auto record = told.slot(0);
  std::atomic<int> runs{0};
  engine.submit(post(upstream.base_url("/v1/chat/completions")),
                [&runs, record](http_response response) mutable {
                  if (runs.fetch_add(1) == 0) throw std::runtime_error("bad JSON in the answer");
                  record(std::move(response));
                });
  BOOST_REQUIRE(told.wait());
  BOOST_TEST(runs.load() == 2);
  BOOST_TEST(told.at(0).curl_code == CURLE_ABORTED_BY_CALLBACK);
  BOOST_TEST(told.at(0).curl_error ==
             "internal error while completing the call: bad JSON in the answer");

  // A completion that throws both times is dropped, and the engine goes on serving.
  engine.submit(post(upstream.base_url("/v1/chat/completions")),
                [](http_response) { throw std::logic_error("always"); });
  const auto after = fetch(engine, post(upstream.base_url("/v1/chat/completions")));
  BOOST_TEST(after.status == 200);
}
