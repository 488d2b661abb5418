#include "nodes/key_refusal_note.hpp"

#include <cstdio>

#include "nodes/curve_keys.hpp"

namespace parallm::nodes {

key_refusal_note::key_refusal_note(std::string log_name, const std::string& public_key)
    : line_(std::move(log_name) + ": the coordinator refused our key " + fingerprint(public_key) +
            "\n") {}

void key_refusal_note::handshake_failed(std::size_t, handshake_failure what, const std::string&) {
  if (what != handshake_failure::key_refused || said_.exchange(true)) return;
  std::fputs(line_.c_str(), stderr);
}

}  // namespace parallm::nodes
