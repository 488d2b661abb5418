#pragma once
// The coordinator's security flags and what they set up: with --curve-secret both ROUTERs are
// CURVE servers whose peers must be on an allow-list directory (coordinator_guard); without
// it, a warning that anyone who reaches the ports can join, and a refusal to bind beyond
// loopback unless --insecure says that is meant.

#include <memory>
#include <optional>
#include <string>

#include "nodes/coordinator_guard.hpp"
#include "nodes/gateway.hpp"

namespace parallm::cli {

struct coordinator_security_args {
  std::string curve_secret;        // the coordinator's secret key file
  std::string authorized_keys;     // allow-list for any side without its own
  std::string authorized_workers;  // allow-list for workers
  std::string authorized_clients;  // allow-list for clients (submit, status)
  bool insecure = false;           // plain text beyond loopback is meant
};

struct coordinator_security {
  nodes::curve_settings workers;  // disabled without CURVE
  nodes::curve_settings clients;
  std::unique_ptr<nodes::coordinator_guard> guard;  // null without CURVE
};

// Checks the flags against each other and the endpoints, reads the key file and the
// directories, and prints the plain-text warning. nullopt after printing why: exit 2.
std::optional<coordinator_security> set_up_security(const coordinator_security_args& args,
                                                    const std::string& workers_bind,
                                                    const std::string& clients_bind);

}  // namespace parallm::cli
