#pragma once
// What makes two providers one endpoint, and where a request goes: pure functions over the
// job's provider specs and URLs.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/job.hpp"

namespace parallm::providers {

// Calls to the same (kind, base URL, model, key variable) share one rate limiter, whichever
// node they come from: node overrides that only change params or temperature are the same
// endpoint, and must not multiply the job's rpm.
struct endpoint_groups {
  std::vector<std::uint32_t> endpoint_of;     // provider index -> endpoint index
  std::vector<std::uint32_t> first_provider;  // endpoint index -> its first provider
};
endpoint_groups group_endpoints(const std::vector<config::provider_spec>& providers);

// That identity as one string, equal for providers that are one endpoint: the key under which
// batches of different jobs share the endpoint's limiter (actors/limiter_registry.hpp).
std::string endpoint_identity(const config::provider_spec& provider);

// http(s)://localhost, 127.x.x.x or [::1]: a local server, which usually needs no key.
bool is_loopback_url(std::string_view url);

// The URL an OpenAI Batch line's `url` path is sent to, placed under the base URL as the
// Batch API does: base http://h:1/v1 with /v1/embeddings gives http://h:1/v1/embeddings
// (a base without /v1 gets the path as it is). nullopt for a path the Batch API does not
// serve: /v1/chat/completions, /v1/embeddings, /v1/completions, /v1/responses.
std::optional<std::string> batch_request_url(std::string_view base_url, std::string_view path);

// "/v1/chat/completions, /v1/embeddings, /v1/completions or /v1/responses", for messages.
std::string batch_paths_text();

}  // namespace parallm::providers
