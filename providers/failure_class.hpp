#pragma once
// The failure taxonomy in one place: every HTTP status and transport error of a provider
// call maps to retry-or-not and a cause, so that workers and reports agree on what happened.

#include <string_view>

#include "providers/call_outcome.hpp"

namespace parallm::providers {

enum class failure_cause {
  none,
  rate_limited,
  timeout,
  connection,
  server_error,
  client_error,
  bad_response,
  empty_content
};

struct failure_verdict {
  outcome_kind kind = outcome_kind::ok;
  failure_cause cause = failure_cause::none;
};

// The response's HTTP status, once the transport succeeded.
failure_verdict classify_http(int http_status);

// A libcurl CURLcode, passed as int so that this header stays free of curl.h.
failure_verdict classify_transport(int curl_code);

std::string_view to_string(failure_cause cause);

}  // namespace parallm::providers
