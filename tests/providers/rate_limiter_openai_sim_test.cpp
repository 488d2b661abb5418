#define BOOST_TEST_MODULE rate_limiter_openai_sim
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <deque>
#include <queue>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "providers/rate_headers.hpp"
#include "providers/rate_limiter.hpp"

using parallm::providers::rate_headers;
using parallm::providers::rate_limiter;
using parallm::providers::read_rate_headers;
using clock_type = rate_limiter::clock;
using std::chrono::milliseconds;

namespace {

const clock_type::time_point start{std::chrono::hours{1}};
constexpr milliseconds latency{50};  // of a 429
constexpr milliseconds retry_after{1000};
// OpenAI's resets are durations: the wall clock they are read against does not matter.
const std::chrono::system_clock::time_point wall_clock{};

enum class event_kind { wake, ok, rejected, retry_due };

}  // namespace

// An OpenAI-like endpoint: buckets of `rpm` requests and `tpm` tokens that refill continuously
// at a sixtieth of that a second. A call is admitted when it arrives if both hold enough, and
// charged there; every answer, 429s included, carries x-ratelimit-* headers as OpenAI writes
// them: the limit, what remains (whole units) and the time until the bucket is full again
// (to the millisecond, in Go duration notation). Calls take 0.5-3 s; a 429 comes back in 50 ms
// and is retried after 1 s, at most 6 attempts.

namespace {

using header_list = std::vector<std::pair<std::string, std::string>>;

std::string go_duration(double seconds) {
  const auto ms = std::llround(seconds * 1000);
  if (ms < 1000) return std::to_string(ms) + "ms";
  std::string out = ms >= 60000 ? std::to_string(ms / 60000) + "m" : "";
  const auto rest = ms % 60000;
  out += std::to_string(rest / 1000);
  if (rest % 1000 != 0) {
    const auto frac = std::to_string(1000 + rest % 1000);  // "1xyz": keeps leading zeros
    out += "." + frac.substr(1);
  }
  return out + "s";
}

class refilling_bucket {
 public:
  refilling_bucket(double limit, double level) : limit_(limit), level_(level) {}
  void refill(double seconds) { level_ = std::min(limit_, level_ + seconds * limit_ / 60); }
  bool holds(double cost) const { return level_ >= cost; }
  void take(double cost) { level_ -= cost; }
  void describe(header_list& out, const std::string& kind) const {
    out.emplace_back("x-ratelimit-limit-" + kind, std::to_string(std::llround(limit_)));
    out.emplace_back("x-ratelimit-remaining-" + kind,
                     std::to_string(static_cast<long long>(std::floor(level_))));
    out.emplace_back("x-ratelimit-reset-" + kind, go_duration((limit_ - level_) * 60 / limit_));
  }

 private:
  double limit_;
  double level_;
};

class openai_server {
 public:
  openai_server(double rpm, double tpm, double full)
      : requests_(rpm, rpm * full), tokens_(tpm, tpm * full) {}

  bool admit(clock_type::time_point now, double tokens, header_list& headers) {
    const double elapsed = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    requests_.refill(elapsed);
    tokens_.refill(elapsed);
    const bool admitted = requests_.holds(1) && tokens_.holds(tokens);
    if (admitted) {
      requests_.take(1);
      tokens_.take(tokens);
    }
    requests_.describe(headers, "requests");
    tokens_.describe(headers, "tokens");
    return admitted;
  }

 private:
  refilling_bucket requests_;
  refilling_bucket tokens_;
  clock_type::time_point last_ = start;
};

struct openai_scenario {
  double rpm = 0;
  double tpm = 0;
  double tokens_per_call = 0;
  int calls = 0;
  int slots = 0;
  double full = 1;  // how full the server's buckets are at the start
};

struct openai_result {
  double seconds = 0;
  int rejected = 0;
  int failed = 0;
  int completed = 0;
  std::vector<clock_type::time_point> admitted;
};

struct openai_event {
  clock_type::time_point at;
  std::uint64_t order;
  event_kind kind;
  int call;
  clock_type::time_point sent_at;
  rate_headers headers;
  bool operator>(const openai_event& other) const {
    return at != other.at ? at > other.at : order > other.order;
  }
};

openai_result simulate_openai(const openai_scenario& scenario) {
  constexpr int max_attempts = 6;
  const auto tokens = static_cast<std::uint64_t>(scenario.tokens_per_call);
  rate_limiter limiter{{}};
  openai_server server{scenario.rpm, scenario.tpm, scenario.full};
  std::mt19937 random{7};
  std::uniform_int_distribution<int> call_ms{500, 3000};
  std::priority_queue<openai_event, std::vector<openai_event>, std::greater<>> events;
  std::uint64_t order = 0;
  auto push = [&](clock_type::time_point at, event_kind kind, int call,
                  clock_type::time_point sent_at, rate_headers headers) {
    events.push({at, order++, kind, call, sent_at, std::move(headers)});
  };
  std::deque<int> pending;
  for (int i = 0; i < scenario.calls; ++i) pending.push_back(i);
  std::vector<int> attempts(scenario.calls, 0);
  int free_slots = scenario.slots;
  bool wake_armed = false;
  openai_result result;
  auto now = start;
  while (result.completed + result.failed < scenario.calls) {
    while (free_slots > 0 && !pending.empty()) {
      if (!limiter.try_acquire(tokens, now)) {
        if (!wake_armed) push(limiter.next_ready(tokens, now), event_kind::wake, -1, now, {});
        wake_armed = true;
        break;
      }
      const int call = pending.front();
      pending.pop_front();
      --free_slots;
      ++attempts[call];
      header_list headers;
      const bool admitted = server.admit(now, scenario.tokens_per_call, headers);
      if (admitted) result.admitted.push_back(now);
      push(now + (admitted ? milliseconds{call_ms(random)} : latency),
           admitted ? event_kind::ok : event_kind::rejected, call, now,
           read_rate_headers(headers, wall_clock));
    }
    BOOST_REQUIRE(!events.empty());
    const openai_event e = events.top();
    events.pop();
    now = e.at;
    if (e.kind == event_kind::ok || e.kind == event_kind::rejected) {
      ++free_slots;
      limiter.on_rate_headers(e.headers, now);
    }
    switch (e.kind) {
      case event_kind::wake:
        wake_armed = false;
        break;
      case event_kind::ok:
        ++result.completed;
        limiter.on_success(now);
        break;
      case event_kind::rejected:
        ++result.rejected;
        limiter.on_rate_limited(e.sent_at, now);
        if (attempts[e.call] == max_attempts)
          ++result.failed;
        else
          push(now + retry_after, event_kind::retry_due, e.call, e.sent_at, {});
        break;
      case event_kind::retry_due:
        pending.push_back(e.call);
        break;
    }
  }
  result.seconds = std::chrono::duration<double>(now - start).count();
  return result;
}

// Calls admitted per second between from and until, seconds after the start.
double admitted_per_second(const openai_result& result, double from, double until) {
  const auto count = std::count_if(result.admitted.begin(), result.admitted.end(), [&](auto t) {
    const double at = std::chrono::duration<double>(t - start).count();
    return at >= from && at < until;
  });
  return static_cast<double>(count) / (until - from);
}

// Runs a scenario whose limit allows `per_second` calls once the full bucket of `burst` calls is
// spent, and checks that the client keeps close to it with no failure and few 429s beyond the
// `blind` ones drawn by the calls sent before any answer told the limit.
void check_close_to_the_limit(const openai_scenario& scenario, double burst, double per_second,
                              int blind = 0) {
  const auto result = simulate_openai(scenario);
  // The server cannot admit the last call before its bucket has refilled that far.
  const double ideal = (scenario.calls - burst) / per_second;
  const double sustained = admitted_per_second(result, ideal / 4, ideal * 3 / 4);
  BOOST_TEST_MESSAGE("rpm " << scenario.rpm << ", tpm " << scenario.tpm << ", " << scenario.calls
                            << " calls of " << scenario.tokens_per_call << " tokens, "
                            << scenario.slots << " slots: " << result.seconds
                            << " s simulated (admission-bound ideal " << ideal << " s), sustained "
                            << sustained << "/s of " << per_second << "/s, " << result.rejected
                            << " 429s, " << result.failed << " failed");
  BOOST_TEST(result.completed == scenario.calls);
  BOOST_TEST(result.failed == 0);
  BOOST_TEST(sustained >= 0.9 * per_second);
  BOOST_TEST(result.seconds <= ideal * 1.1);
  BOOST_TEST(result.rejected <= blind + scenario.calls / 100);
}

}  // namespace

BOOST_AUTO_TEST_CASE(an_openai_request_limit_is_used_close_to_its_rate) {
  check_close_to_the_limit(
      {.rpm = 600, .tpm = 1e9, .tokens_per_call = 500, .calls = 2400, .slots = 64}, 600, 10);
}

BOOST_AUTO_TEST_CASE(a_large_openai_request_limit_is_used_close_to_its_rate) {
  check_close_to_the_limit(
      {.rpm = 6000, .tpm = 1e9, .tokens_per_call = 500, .calls = 18000, .slots = 512}, 6000, 100);
}

BOOST_AUTO_TEST_CASE(an_openai_token_limit_is_used_close_to_its_rate) {
  // 60000 tokens a minute in calls of 500: 120 at once, then 2 a second.
  check_close_to_the_limit(
      {.rpm = 10000, .tpm = 60000, .tokens_per_call = 500, .calls = 480, .slots = 64}, 120, 2);
}

BOOST_AUTO_TEST_CASE(an_openai_bucket_found_empty_is_used_at_its_refill_rate) {
  // Another client has just spent the minute: the first answers say nothing remains and the
  // bucket is full in 60 s. Waiting for that reset would lose a minute.
  check_close_to_the_limit(
      {.rpm = 600, .tpm = 1e9, .tokens_per_call = 500, .calls = 1200, .slots = 64, .full = 0}, 0,
      10, 64);
}
