#include "cli/peer_identity.hpp"

#include <cstdio>

#include <unistd.h>

#include "actors/coordinator_setup.hpp"

namespace parallm::cli {

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "unknown";
  return name;
}

std::string new_client_id() {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx",
                static_cast<unsigned long long>(actors::random_u64()));
  return text;
}

}  // namespace parallm::cli
