#pragma once
// A base URL may carry credentials, as some proxies want them: https://user:secret@proxy/v1.
// Wherever parallm prints a URL (an error, a warning), the password is replaced first.

#include <string>
#include <string_view>

namespace parallm::config {

inline constexpr std::string_view hidden_password = "***";

// url with the password of its userinfo replaced by hidden_password; the user name stays, to
// tell which account is meant. A URL without a password comes back unchanged.
std::string without_password(std::string_view url);

}  // namespace parallm::config
