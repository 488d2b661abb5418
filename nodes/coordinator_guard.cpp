#include "nodes/coordinator_guard.hpp"

#include <cstdio>

#include "nodes/frame_post.hpp"

namespace parallm::nodes {

coordinator_guard::coordinator_guard(coordinator_guard_options options)
    : options_(std::move(options)),
      workers_(std::make_shared<authorized_keys>(options_.workers_keys)),
      clients_(options_.clients_keys == options_.workers_keys
                   ? workers_
                   : std::make_shared<authorized_keys>(options_.clients_keys)),
      gate_([this](peer_kind side, const std::string& key) { return list(side).contains(key); }) {}

std::optional<std::string> coordinator_guard::load() {
  for (auto* keys : {workers_.get(), clients_.get()}) {
    if (!keys->load()) {
      return "the key directory " + keys->dir().string() + " cannot be read";
    }
  }
  reload(true);
  return std::nullopt;
}

void coordinator_guard::reload(bool always) {
  bool changed = always;
  for (auto* keys : {workers_.get(), clients_.get()}) {
    if (!always && !keys->changed()) continue;
    const auto before = keys->keys();
    keys->load();
    changed = changed || keys->keys() != before;
  }
  for (auto* keys : {workers_.get(), clients_.get()}) {
    for (const auto& warning : keys->take_warnings()) log("warning: " + warning);
    if (workers_ == clients_) break;
  }
  if (changed) {
    log("authorized keys: " + std::to_string(workers_->keys().size()) + " for workers (" +
        workers_->dir().string() + "), " + std::to_string(clients_->keys().size()) +
        " for clients (" + clients_->dir().string() + ")");
  }
}

bool coordinator_guard::authorize(std::string_view domain, std::string_view address,
                                  std::string_view mechanism, const std::string& public_key) {
  const auto decision = gate_.on_zap(domain, address, mechanism, public_key);
  if (!decision.log.empty()) log(decision.log);
  return decision.admit;
}

void coordinator_guard::handshake_failed(std::size_t socket, handshake_failure what,
                                         const std::string& address) {
  if (what != handshake_failure::plain_text_peer) return;
  const auto side = socket == workers_socket ? peer_kind::worker : peer_kind::client;
  const auto line = gate_.on_plain_text_peer(side, address);
  if (!line.empty()) log(line);
}

void coordinator_guard::on_tick(std::chrono::steady_clock::time_point now) {
  const bool asked = reload_requested_.exchange(false);
  if (!asked && now < next_scan_) return;
  next_scan_ = now + options_.rescan;
  // SIGHUP re-reads even what looks unchanged (a file rewritten within its mtime's
  // granularity, with the same size).
  reload(asked);
}

void coordinator_guard::log(const std::string& line) const {
  std::fprintf(stderr, "%s: %s\n", options_.log_name.c_str(), line.c_str());
}

}  // namespace parallm::nodes
