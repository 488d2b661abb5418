#include "cli/status_command.hpp"

#include <cstdio>
#include <future>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/exit_codes.hpp"
#include "cli/peer_identity.hpp"
#include "nodes/dealer_link.hpp"
#include "nodes/frame_post.hpp"
#include "nodes/gateway.hpp"
#include "nodes/key_refusal_note.hpp"
#include "nodes/wire_codec.hpp"

namespace parallm::cli {
namespace {

// Asks once welcomed; keeps the first answer.
class status_events final : public nodes::dealer_events {
 public:
  explicit status_events(nodes::frame_post post) : post_(std::move(post)) {}
  void welcomed(const nodes::welcome&, bool) override {
    post_(0, "", nodes::encode(nodes::status_request{}));
  }
  void lost() override {}
  void received(nodes::message m) override {
    if (auto* reply = std::get_if<nodes::status_reply>(&m); reply && !answered_) {
      answered_ = true;
      answer_.set_value(std::move(*reply));
    }
  }
  std::future<nodes::status_reply> answer() { return answer_.get_future(); }

 private:
  nodes::frame_post post_;
  bool answered_ = false;
  std::promise<nodes::status_reply> answer_;
};

nlohmann::json to_json(const nodes::status_reply& reply) {
  auto workers = nlohmann::json::array();
  for (const auto& w : reply.workers) {
    workers.push_back({{"name", w.name},
                       {"host", w.host},
                       {"capacity", w.capacity},
                       {"in_flight", w.in_flight},
                       {"done", w.done},
                       {"failed", w.failed},
                       {"heartbeat_age_ms", w.heartbeat_age_ms}});
  }
  auto batches = nlohmann::json::array();
  for (const auto& b : reply.batches) {
    batches.push_back({{"client", b.client_id},
                       {"job", b.job},
                       {"done", b.done},
                       {"total", b.total == 0 ? nlohmann::json() : nlohmann::json(b.total)},
                       {"rate", b.rate}});
  }
  auto counters = nlohmann::json::object();
  for (const auto& c : reply.counters) counters[c.name] = c.value;
  return {{"workers", workers}, {"batches", batches}, {"counters", counters}};
}

std::uint64_t counter_value(const nodes::status_reply& reply, const std::string& name) {
  for (const auto& c : reply.counters) {
    if (c.name == name) return c.value;
  }
  return 0;
}

// Peers the CURVE handshake turned away, what an operator looks for when a worker does not
// show up, and after them every other refusal there was (a limit: too_many_batches, ...).
void print_refusals(const nodes::status_reply& reply) {
  std::printf("refused:");
  for (const char* side : {"workers", "clients"}) {
    const std::string prefix = std::string(side) + ".refused.";
    std::printf(" %s %llu unknown key, %llu no CURVE", side,
                static_cast<unsigned long long>(counter_value(reply, prefix + "unknown_key")),
                static_cast<unsigned long long>(counter_value(reply, prefix + "no_curve")));
    for (const auto& c : reply.counters) {
      if (c.value == 0 || !c.name.starts_with(prefix)) continue;
      const auto reason = c.name.substr(prefix.size());
      if (reason == "unknown_key" || reason == "no_curve") continue;
      std::printf(", %llu %s", static_cast<unsigned long long>(c.value), reason.c_str());
    }
    std::printf("%s", side[0] == 'w' ? ";" : "\n");
  }
}

void print_table(const nodes::status_reply& reply) {
  std::printf("workers: %zu\n", reply.workers.size());
  if (!reply.workers.empty()) {
    std::printf("  %-24s %-20s %8s %9s %10s %8s %10s\n", "NAME", "HOST", "CAPACITY", "IN FLIGHT",
                "DONE", "FAILED", "HEARD");
  }
  for (const auto& w : reply.workers) {
    std::printf("  %-24s %-20s %8u %9u %10llu %8llu %8.1fs\n", w.name.c_str(), w.host.c_str(),
                w.capacity, w.in_flight, static_cast<unsigned long long>(w.done),
                static_cast<unsigned long long>(w.failed), w.heartbeat_age_ms / 1000.0);
  }
  std::printf("batches: %zu\n", reply.batches.size());
  if (!reply.batches.empty()) {
    std::printf("  %-18s %-30s %21s %12s\n", "CLIENT", "JOB", "DONE/TOTAL", "ITEMS/S");
  }
  for (const auto& b : reply.batches) {
    const auto total = b.total == 0 ? std::string("?") : std::to_string(b.total);
    const auto progress = std::to_string(b.done) + "/" + total;
    std::printf("  %-18s %-30s %21s %12.1f\n", b.client_id.c_str(), b.job.c_str(), progress.c_str(),
                b.rate);
  }
  print_refusals(reply);
}

}  // namespace

int status_command(const status_args& args) {
  nodes::curve_settings curve;
  if (!client_curve_settings("parallm status", args.curve, curve)) return exit_bad_input;
  nodes::key_refusal_note refusal_note("parallm status", curve.public_key);
  std::shared_ptr<nodes::gateway> gateway;
  status_events events{[&gateway](std::size_t socket, std::string id, std::string frame) {
    gateway->post(socket, std::move(id), std::move(frame));
  }};
  auto answer = events.answer();
  nodes::dealer_settings settings;
  settings.hello = nodes::encode(nodes::client_hello{new_client_id(), host_name()});
  nodes::dealer_link link{settings, events, {nodes::command::status_reply}};
  gateway = std::make_shared<nodes::gateway>(
      std::vector<nodes::socket_spec>{{.kind = nodes::socket_spec::role::dealer_connect,
                                       .endpoint = args.coordinator,
                                       .routing_id = {},
                                       .curve = curve}},
      link, std::chrono::milliseconds(50), &refusal_note);
  try {
    gateway->start();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "parallm: %s\n", e.what());
    return exit_bad_input;
  }
  if (answer.wait_for(std::chrono::milliseconds(args.timeout_ms)) != std::future_status::ready) {
    gateway->stop();
    std::fprintf(stderr, "parallm: no answer from a coordinator at %s within %d ms\n",
                 args.coordinator.c_str(), args.timeout_ms);
    return exit_internal;
  }
  gateway->stop();
  const auto reply = answer.get();
  if (args.json) {
    std::printf("%s\n", to_json(reply).dump().c_str());
  } else {
    print_table(reply);
  }
  return exit_ok;
}

}  // namespace parallm::cli
