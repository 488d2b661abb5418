#include "providers/failure_class.hpp"

#include <curl/curl.h>

namespace parallm::providers {

failure_verdict classify_http(int http_status) {
  if (http_status >= 200 && http_status < 300) return {outcome_kind::ok, failure_cause::none};
  if (http_status == 429) return {outcome_kind::retryable, failure_cause::rate_limited};
  if (http_status == 408) return {outcome_kind::retryable, failure_cause::timeout};
  // Providers answer 409 to a request that collided with another on their side (a lock or
  // an in-flight duplicate): the request itself was fine, so the official SDKs retry it.
  if (http_status == 409) return {outcome_kind::retryable, failure_cause::client_error};
  if (http_status >= 500 && http_status < 600) {
    return {outcome_kind::retryable, failure_cause::server_error};
  }
  if (http_status >= 400 && http_status < 500) {
    return {outcome_kind::final, failure_cause::client_error};
  }
  return {outcome_kind::final, failure_cause::bad_response};
}

failure_verdict classify_transport(int curl_code) {
  switch (static_cast<CURLcode>(curl_code)) {
    case CURLE_OK:
      return {outcome_kind::ok, failure_cause::none};
    case CURLE_OPERATION_TIMEDOUT:
      return {outcome_kind::retryable, failure_cause::timeout};
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:  // a handshake cut short, most often by a reset
      return {outcome_kind::retryable, failure_cause::connection};
    default:
      // Certificates that do not verify, protocol, setup and usage errors: trying the same
      // call again fails the same way.
      return {outcome_kind::final, failure_cause::connection};
  }
}

std::string_view to_string(failure_cause cause) {
  switch (cause) {
    case failure_cause::none:
      return "none";
    case failure_cause::rate_limited:
      return "rate_limited";
    case failure_cause::timeout:
      return "timeout";
    case failure_cause::connection:
      return "connection";
    case failure_cause::server_error:
      return "server_error";
    case failure_cause::client_error:
      return "client_error";
    case failure_cause::bad_response:
      return "bad_response";
    case failure_cause::empty_content:
      return "empty_content";
  }
  // Only an integer cast into the enum reaches here.
  return "unknown";
}

}  // namespace parallm::providers
