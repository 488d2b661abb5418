#include "nodes/loopback_endpoint.hpp"

#include <arpa/inet.h>

#include <string>

namespace parallm::nodes {
namespace {

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

bool is_loopback_host(std::string_view host) {
  if (host == "localhost" || host == "[::1]") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, std::string(host).c_str(), &v4) != 1) return false;
  return (ntohl(v4.s_addr) >> 24) == 127;
}

}  // namespace

bool is_loopback_endpoint(std::string_view endpoint) {
  if (starts_with(endpoint, "ipc://") || starts_with(endpoint, "inproc://")) return true;
  if (!starts_with(endpoint, "tcp://")) return false;
  auto address = endpoint.substr(6);
  // ZeroMQ's "source;destination" form binds nothing else, but be strict: the whole address.
  if (address.find(';') != std::string_view::npos) return false;
  const auto colon = address.rfind(':');
  if (colon == std::string_view::npos) return false;
  return is_loopback_host(address.substr(0, colon));
}

}  // namespace parallm::nodes
