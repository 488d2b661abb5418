#define BOOST_TEST_MODULE rate_limiter_sim
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <queue>
#include <vector>

#include "providers/rate_limiter.hpp"

// 300 requests from a client with 32 slots against a server that allows 20 requests/s, as
// nginx `limit_req rate=20r/s burst=5 nodelay` does, answering excess at once with 429 and
// Retry-After: 1. Ideal: 6 pass at once, the other 294 at 20/s, the last answer 50 ms later.

using parallm::providers::rate_limiter;
using clock_type = rate_limiter::clock;
using std::chrono::milliseconds;

namespace {

const clock_type::time_point start{std::chrono::hours{1}};
constexpr int request_count = 300;
constexpr int slots = 32;
constexpr milliseconds latency{50};
constexpr milliseconds retry_after{1000};
constexpr double ideal_seconds = (request_count - 6) / 20.0 + 0.05;

// nginx's limit_req in its own units: whole milliseconds and thousandths of a request.
class nginx_limit_req {
 public:
  bool admit(clock_type::time_point t) {
    const auto now = std::chrono::duration_cast<milliseconds>(t - start).count();
    if (!seen_) {
      seen_ = true;
      last_ = now;
      return true;
    }
    std::int64_t excess = excess_ - rate_ * (now - last_) / 1000 + 1000;
    if (excess < 0) excess = 0;
    if (excess > burst_) return false;
    excess_ = excess;
    last_ = now;
    return true;
  }

 private:
  static constexpr std::int64_t rate_ = 20 * 1000;
  static constexpr std::int64_t burst_ = 5 * 1000;
  bool seen_ = false;
  std::int64_t excess_ = 0;
  std::int64_t last_ = 0;
};

enum class event_kind { wake, ok, rejected, retry_due };

struct event {
  clock_type::time_point at;
  std::uint64_t order;
  event_kind kind;
  int request;
  clock_type::time_point sent_at;
  bool operator>(const event& other) const {
    return at != other.at ? at > other.at : order > other.order;
  }
};

struct run_result {
  double seconds = 0;
  int rejected = 0;
  int completed = 0;
  bool retry_after_respected = true;
};

run_result simulate(rate_limiter::options options) {
  rate_limiter limiter{options};
  nginx_limit_req server;
  std::priority_queue<event, std::vector<event>, std::greater<>> events;
  std::uint64_t order = 0;
  auto push = [&](clock_type::time_point at, event_kind kind, int request,
                  clock_type::time_point sent_at) {
    events.push({at, order++, kind, request, sent_at});
  };
  std::deque<int> pending;
  for (int i = 0; i < request_count; ++i) pending.push_back(i);
  std::vector<clock_type::time_point> not_before(request_count, start);
  int free_slots = slots;
  bool wake_armed = false;
  run_result result;
  auto now = start;
  while (result.completed < request_count) {
    while (free_slots > 0 && !pending.empty()) {
      if (!limiter.try_acquire(0, now)) {
        if (!wake_armed) push(limiter.next_ready(0, now), event_kind::wake, -1, now);
        wake_armed = true;
        break;
      }
      const int request = pending.front();
      pending.pop_front();
      --free_slots;
      if (now < not_before[request]) result.retry_after_respected = false;
      if (server.admit(now))
        push(now + latency, event_kind::ok, request, now);
      else
        push(now, event_kind::rejected, request, now);
    }
    BOOST_REQUIRE(!events.empty());
    const event e = events.top();
    events.pop();
    now = e.at;
    switch (e.kind) {
      case event_kind::wake:
        wake_armed = false;
        break;
      case event_kind::ok:
        ++free_slots;
        ++result.completed;
        limiter.on_success(now);
        break;
      case event_kind::rejected:
        ++free_slots;
        ++result.rejected;
        limiter.on_rate_limited(e.sent_at, now);
        not_before[e.request] = now + retry_after;
        push(now + retry_after, event_kind::retry_due, e.request, e.sent_at);
        break;
      case event_kind::retry_due:
        pending.push_back(e.request);
        break;
    }
  }
  result.seconds = std::chrono::duration<double>(now - start).count();
  return result;
}

}  // namespace

BOOST_AUTO_TEST_CASE(an_unknown_limit_is_learnt_within_five_percent_of_ideal) {
  const auto result = simulate({});
  BOOST_TEST_MESSAGE("adaptive, no rpm: " << result.seconds << " s simulated, " << result.rejected
                                          << " 429s (ideal " << ideal_seconds << " s)");
  BOOST_TEST(result.completed == request_count);
  BOOST_TEST(result.retry_after_respected);
  BOOST_TEST(result.seconds <= ideal_seconds * 1.05);
  BOOST_TEST(result.rejected < 40);
}

BOOST_AUTO_TEST_CASE(a_configured_rpm_at_the_limit_draws_no_429) {
  const auto result = simulate({.rpm = 1200});
  BOOST_TEST_MESSAGE("rpm 1200: " << result.seconds << " s simulated, " << result.rejected
                                  << " 429s");
  BOOST_TEST(result.completed == request_count);
  BOOST_TEST(result.rejected == 0);
  BOOST_TEST(result.seconds <= 15.5);
}

BOOST_AUTO_TEST_CASE(a_configured_rpm_holds_without_the_adaptive_part) {
  const auto result = simulate({.rpm = 1200, .adaptive = false});
  BOOST_TEST(result.completed == request_count);
  BOOST_TEST(result.rejected == 0);
  BOOST_TEST(result.seconds <= 15.5);
}
