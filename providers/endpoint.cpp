#include "providers/endpoint.hpp"

#include <algorithm>
#include <array>
#include <tuple>

namespace parallm::providers {
namespace {

constexpr std::array<std::string_view, 4> batch_paths = {"/v1/chat/completions", "/v1/embeddings",
                                                         "/v1/completions", "/v1/responses"};

auto identity(const config::provider_spec& p) {
  return std::tie(p.kind, p.base_url, p.model, p.api_key_env);
}

std::string_view host_of(std::string_view url) {
  const auto scheme = url.find("://");
  if (scheme != std::string_view::npos) url.remove_prefix(scheme + 3);
  url = url.substr(0, url.find_first_of("/?#"));
  if (const auto at = url.rfind('@'); at != std::string_view::npos) url.remove_prefix(at + 1);
  if (url.starts_with('[')) return url.substr(0, url.find(']') + 1);
  return url.substr(0, url.find(':'));
}

}  // namespace

endpoint_groups group_endpoints(const std::vector<config::provider_spec>& providers) {
  endpoint_groups groups;
  for (std::uint32_t i = 0; i < providers.size(); ++i) {
    const auto same = std::find_if(
        groups.first_provider.begin(), groups.first_provider.end(),
        [&](std::uint32_t first) { return identity(providers[first]) == identity(providers[i]); });
    if (same == groups.first_provider.end()) {
      groups.endpoint_of.push_back(static_cast<std::uint32_t>(groups.first_provider.size()));
      groups.first_provider.push_back(i);
    } else {
      groups.endpoint_of.push_back(
          static_cast<std::uint32_t>(same - groups.first_provider.begin()));
    }
  }
  return groups;
}

std::string endpoint_identity(const config::provider_spec& provider) {
  // A separator no URL, model or variable name holds, so that no two identities run together.
  constexpr char sep = '\x1f';
  return std::to_string(static_cast<int>(provider.kind)) + sep + provider.base_url + sep +
         provider.model + sep + provider.api_key_env;
}

bool is_loopback_url(std::string_view url) {
  const auto host = host_of(url);
  const bool ipv4_loopback =
      host.starts_with("127.") && host.find_first_not_of("0123456789.") == std::string_view::npos;
  return host == "localhost" || ipv4_loopback || host == "[::1]";
}

std::optional<std::string> batch_request_url(std::string_view base_url, std::string_view path) {
  if (std::find(batch_paths.begin(), batch_paths.end(), path) == batch_paths.end()) {
    return std::nullopt;
  }
  while (base_url.ends_with('/')) base_url.remove_suffix(1);
  if (base_url.ends_with("/v1")) base_url.remove_suffix(3);
  return std::string(base_url) + std::string(path);
}

std::string batch_paths_text() {
  return std::string(batch_paths[0]) + ", " + std::string(batch_paths[1]) + ", " +
         std::string(batch_paths[2]) + " or " + std::string(batch_paths[3]);
}

}  // namespace parallm::providers
