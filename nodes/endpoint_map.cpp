#include "nodes/endpoint_map.hpp"

namespace parallm::nodes {
namespace {

std::string_view without_slash(std::string_view url) {
  if (!url.empty() && url.back() == '/') url.remove_suffix(1);
  return url;
}

}  // namespace

std::optional<endpoint_rewrite> parse_endpoint_rewrite(std::string_view text) {
  const auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == text.size()) return std::nullopt;
  return endpoint_rewrite{std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

std::string rewrite_endpoint(const std::string& base_url,
                             const std::vector<endpoint_rewrite>& rewrites) {
  const auto url = without_slash(base_url);
  for (const auto& r : rewrites) {
    const auto from = without_slash(r.from);
    if (url == from) return r.to;
    if (url.size() > from.size() && url.substr(0, from.size()) == from && url[from.size()] == '/') {
      return std::string(without_slash(r.to)) + std::string(base_url.substr(from.size()));
    }
  }
  return base_url;
}

}  // namespace parallm::nodes
