#include "config/url_credentials.hpp"

namespace parallm::config {

std::string without_password(std::string_view url) {
  const auto scheme = url.find("://");
  const auto authority_begin = scheme == std::string_view::npos ? 0 : scheme + 3;
  const auto authority_end = url.find_first_of("/?#", authority_begin);
  const auto authority = url.substr(authority_begin, authority_end - authority_begin);
  // The last '@' ends the userinfo: a password may hold an unescaped '@', a host never does.
  const auto at = authority.rfind('@');
  if (at == std::string_view::npos) return std::string(url);
  const auto colon = authority.substr(0, at).find(':');
  if (colon == std::string_view::npos) return std::string(url);
  std::string shown(url.substr(0, authority_begin + colon + 1));
  shown += hidden_password;
  shown += url.substr(authority_begin + at);
  return shown;
}

}  // namespace parallm::config
