#define BOOST_TEST_MODULE failure_watch
#include <boost/test/unit_test.hpp>

#include "providers/failure_watch.hpp"

using namespace parallm::providers;

namespace {

call_outcome http_failure(int status, std::string message) {
  call_outcome o;
  o.kind = outcome_kind::final;
  o.http_status = status;
  o.error = "HTTP " + std::to_string(status) + ": " + message;
  return o;
}

call_outcome transport_failure(std::string error) {
  call_outcome o;
  o.kind = outcome_kind::retryable;
  o.error = std::move(error);
  return o;
}

call_outcome success() {
  call_outcome o;
  o.text = "pong";
  o.http_status = 200;
  return o;
}

}  // namespace

BOOST_AUTO_TEST_CASE(first_n_calls_failing_alike_stop_the_run_once) {
  failure_watch watch(3);
  BOOST_TEST(!watch.on_settled(http_failure(401, "Incorrect API key provided")));
  BOOST_TEST(!watch.on_settled(http_failure(401, "Incorrect API key provided")));
  const auto stop = watch.on_settled(http_failure(401, "Incorrect API key provided"));
  BOOST_TEST_REQUIRE(stop.has_value());
  BOOST_TEST(*stop ==
             "stopped after the first 3 calls all failed: HTTP 401 (Incorrect API key "
             "provided)");
  BOOST_TEST(watch.tripped());
  BOOST_TEST(!watch.on_settled(http_failure(401, "again")));  // said once
}

BOOST_AUTO_TEST_CASE(a_success_among_the_first_calls_disarms_it) {
  failure_watch watch(2);
  BOOST_TEST(!watch.on_settled(http_failure(404, "no such model")));
  BOOST_TEST(!watch.on_settled(success()));
  for (int i = 0; i < 10; ++i) BOOST_TEST(!watch.on_settled(http_failure(404, "no such model")));
  BOOST_TEST(!watch.tripped());
}

BOOST_AUTO_TEST_CASE(failures_of_different_classes_are_not_systematic) {
  failure_watch watch(2);
  BOOST_TEST(!watch.on_settled(http_failure(400, "context too long")));
  BOOST_TEST(!watch.on_settled(http_failure(401, "bad key")));
  for (int i = 0; i < 10; ++i) BOOST_TEST(!watch.on_settled(http_failure(401, "bad key")));
}

BOOST_AUTO_TEST_CASE(transport_errors_that_differ_only_in_numbers_are_one_class) {
  failure_watch watch(2);
  BOOST_TEST(!watch.on_settled(transport_failure(
      "curl: Failed to connect to 127.0.0.1 port 9 after 0 ms: Connection refused")));
  const auto stop = watch.on_settled(transport_failure(
      "curl: Failed to connect to 127.0.0.1 port 9 after 12 ms: Connection refused"));
  BOOST_TEST_REQUIRE(stop.has_value());
  BOOST_TEST(*stop ==
             "stopped after the first 2 calls all failed: curl: Failed to connect to "
             "127.0.0.1 port 9 after 0 ms: Connection refused");
}

BOOST_AUTO_TEST_CASE(pass_through_answers_with_an_error_status_count_as_failures) {
  failure_watch watch(1);
  call_outcome answer;
  answer.http_status = 401;
  answer.text = R"({"status_code":401,"request_id":"","body":{"error":{"message":"bad key"}}})";
  const auto stop = watch.on_settled(answer);
  BOOST_TEST_REQUIRE(stop.has_value());
  BOOST_TEST(*stop == "stopped after the first call failed: HTTP 401 (bad key)");
}

BOOST_AUTO_TEST_CASE(threshold_zero_never_stops) {
  failure_watch watch(0);
  for (int i = 0; i < 100; ++i) BOOST_TEST(!watch.on_settled(http_failure(401, "bad key")));
  BOOST_TEST(!watch.tripped());
}
