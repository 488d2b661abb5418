#include "cli/coordinator_security.hpp"

#include <cstdio>

#include "nodes/curve_gate.hpp"
#include "nodes/curve_keys.hpp"
#include "nodes/loopback_endpoint.hpp"

namespace parallm::cli {
namespace {

constexpr const char* log_name = "parallm coordinator";

std::optional<coordinator_security> plain_text(const coordinator_security_args& args,
                                               const std::string& workers_bind,
                                               const std::string& clients_bind) {
  if (!args.authorized_keys.empty() || !args.authorized_workers.empty() ||
      !args.authorized_clients.empty()) {
    std::fprintf(stderr, "%s: an allow-list (--authorized-*) needs --curve-secret\n", log_name);
    return std::nullopt;
  }
  std::fprintf(stderr,
               "%s: warning: no --curve-secret: traffic is plain text and any peer that can "
               "reach these ports can join\n",
               log_name);
  for (const auto* endpoint : {&workers_bind, &clients_bind}) {
    if (args.insecure || nodes::is_loopback_endpoint(*endpoint)) continue;
    std::fprintf(stderr,
                 "%s: refusing to bind %s beyond loopback without --curve-secret; give "
                 "--curve-secret (see parallm help keygen), or --insecure if plain text is "
                 "meant\n",
                 log_name, endpoint->c_str());
    return std::nullopt;
  }
  return coordinator_security{};
}

}  // namespace

std::optional<coordinator_security> set_up_security(const coordinator_security_args& args,
                                                    const std::string& workers_bind,
                                                    const std::string& clients_bind) {
  if (args.curve_secret.empty()) return plain_text(args, workers_bind, clients_bind);
  const auto& workers_dir =
      args.authorized_workers.empty() ? args.authorized_keys : args.authorized_workers;
  const auto& clients_dir =
      args.authorized_clients.empty() ? args.authorized_keys : args.authorized_clients;
  if (workers_dir.empty() || clients_dir.empty()) {
    std::fprintf(stderr,
                 "%s: --curve-secret needs an allow-list for %s: --authorized-keys DIR, or "
                 "--authorized-workers DIR and --authorized-clients DIR\n",
                 log_name,
                 workers_dir.empty() && clients_dir.empty() ? "workers and clients"
                 : workers_dir.empty()                      ? "workers"
                                                            : "clients");
    return std::nullopt;
  }
  const auto pair = nodes::read_secret_key_file(args.curve_secret);
  if (!pair) {
    std::fprintf(stderr, "%s: %s\n", log_name, pair.error().message.c_str());
    return std::nullopt;
  }
  coordinator_security security;
  security.workers.secret_key = pair.value().secret_key;
  security.workers.zap_domain = nodes::workers_zap_domain;
  security.clients.secret_key = pair.value().secret_key;
  security.clients.zap_domain = nodes::clients_zap_domain;
  nodes::coordinator_guard_options options;
  options.workers_keys = workers_dir;
  options.clients_keys = clients_dir;
  options.log_name = log_name;
  security.guard = std::make_unique<nodes::coordinator_guard>(options);
  if (const auto error = security.guard->load()) {
    std::fprintf(stderr, "%s: %s\n", log_name, error->c_str());
    return std::nullopt;
  }
  std::fprintf(stderr, "%s: CURVE on, server key %s\n", log_name,
               nodes::fingerprint(pair.value().public_key).c_str());
  return security;
}

}  // namespace parallm::cli
