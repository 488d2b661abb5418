#define BOOST_TEST_MODULE failure_class
#include <boost/test/unit_test.hpp>

#include <curl/curl.h>

#include <set>
#include <string>
#include <string_view>

#include "providers/failure_class.hpp"

using parallm::providers::classify_http;
using parallm::providers::classify_transport;
using parallm::providers::failure_cause;
using parallm::providers::failure_verdict;
using parallm::providers::outcome_kind;
using parallm::providers::to_string;

BOOST_TEST_DONT_PRINT_LOG_VALUE(parallm::providers::outcome_kind)

namespace {

// Printed as "kind/cause" so that a mismatch reads like the rule it breaks.
std::string verdict(failure_verdict v) {
  const char* kind = v.kind == outcome_kind::ok          ? "ok"
                     : v.kind == outcome_kind::retryable ? "retryable"
                                                         : "final";
  return std::string{kind} + "/" + std::string{to_string(v.cause)};
}

std::string http(int status) {
  return verdict(classify_http(status));
}
std::string transport(CURLcode code) {
  return verdict(classify_transport(code));
}

}  // namespace

BOOST_AUTO_TEST_CASE(success_statuses_are_ok) {
  for (const int status : {200, 201, 204, 299}) {
    BOOST_TEST_CONTEXT("HTTP " << status) {
      BOOST_TEST(http(status) == "ok/none");
    }
  }
}

BOOST_AUTO_TEST_CASE(rate_limits_and_transient_client_statuses_are_retried) {
  BOOST_TEST(http(429) == "retryable/rate_limited");
  BOOST_TEST(http(408) == "retryable/timeout");
  BOOST_TEST(http(409) == "retryable/client_error");
}

BOOST_AUTO_TEST_CASE(server_errors_are_retried) {
  for (const int status : {500, 502, 503, 504, 529, 599}) {
    BOOST_TEST_CONTEXT("HTTP " << status) {
      BOOST_TEST(http(status) == "retryable/server_error");
    }
  }
}

BOOST_AUTO_TEST_CASE(other_client_errors_are_final) {
  for (const int status : {400, 401, 403, 404, 413, 422, 499}) {
    BOOST_TEST_CONTEXT("HTTP " << status) {
      BOOST_TEST(http(status) == "final/client_error");
    }
  }
}

BOOST_AUTO_TEST_CASE(statuses_outside_2xx_4xx_5xx_are_bad_responses) {
  for (const int status : {0, -1, 100, 101, 199, 300, 301, 304, 399, 600, 999}) {
    BOOST_TEST_CONTEXT("HTTP " << status) {
      BOOST_TEST(http(status) == "final/bad_response");
    }
  }
}

BOOST_AUTO_TEST_CASE(a_transport_success_is_ok) {
  BOOST_TEST(transport(CURLE_OK) == "ok/none");
}

BOOST_AUTO_TEST_CASE(a_transport_timeout_is_retried) {
  BOOST_TEST(transport(CURLE_OPERATION_TIMEDOUT) == "retryable/timeout");
}

BOOST_AUTO_TEST_CASE(dropped_connections_are_retried) {
  // A TLS handshake cut short (SSL_CONNECT_ERROR, e.g. a reset by a busy load balancer) is a
  // dropped connection too; a certificate that does not verify is not.
  for (const CURLcode code :
       {CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_SEND_ERROR, CURLE_RECV_ERROR,
        CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_SSL_CONNECT_ERROR}) {
    BOOST_TEST_CONTEXT("CURLcode " << static_cast<int>(code)) {
      BOOST_TEST(transport(code) == "retryable/connection");
    }
  }
}

BOOST_AUTO_TEST_CASE(other_transport_errors_are_final) {
  for (const CURLcode code :
       {CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT, CURLE_PEER_FAILED_VERIFICATION,
        CURLE_SSL_CACERT_BADFILE, CURLE_OUT_OF_MEMORY, CURLE_TOO_MANY_REDIRECTS}) {
    BOOST_TEST_CONTEXT("CURLcode " << static_cast<int>(code)) {
      BOOST_TEST(transport(code) == "final/connection");
    }
  }
  BOOST_TEST(verdict(classify_transport(-1)) == "final/connection");
  BOOST_TEST(verdict(classify_transport(100000)) == "final/connection");
}

BOOST_AUTO_TEST_CASE(every_cause_has_a_distinct_name) {
  const std::set<std::string_view> names{
      to_string(failure_cause::none),         to_string(failure_cause::rate_limited),
      to_string(failure_cause::timeout),      to_string(failure_cause::connection),
      to_string(failure_cause::server_error), to_string(failure_cause::client_error),
      to_string(failure_cause::bad_response), to_string(failure_cause::empty_content)};
  BOOST_TEST(names.size() == 8u);
  BOOST_TEST(to_string(failure_cause::empty_content) == "empty_content");
  BOOST_TEST(to_string(static_cast<failure_cause>(99)) == "unknown");
}
