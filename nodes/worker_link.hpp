#pragma once
// A worker's side of its one connection to the coordinator (socket 0 of its gateway, a DEALER):
// a dealer_link keeps the session rules (hello, welcome, heartbeats, liveness, what is dropped
// before a welcome); this turns what it accepts into the actors' messages. Profiles and tasks
// are converted here (wire_convert), and a task frame that fails conversion is answered at
// once with final failures (PROTOCOL.md, "A peer's view"). Results go out another way: the
// node posts them to the gateway itself and tells the link (note_sent), so a busy connection
// needs no heartbeats.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "nodes/announced_limits.hpp"
#include "nodes/dealer_link.hpp"
#include "nodes/gateway.hpp"
#include "nodes/protocol.hpp"
#include "nodes/wire_convert.hpp"
#include "nodes/wire_messages.hpp"

namespace parallm::nodes {

// What the link tells the rest of the worker process; called on the I/O thread, so each must
// be quick (hand the message to an actor, write a log line).
class worker_link_listener {
 public:
  virtual ~worker_link_listener() = default;
  virtual void on_profiles(actors::batch_profiles profiles) = 0;
  virtual void on_tasks(actors::task_batch tasks) = 0;
  // The coordinator restarted (a welcome with a new epoch): the profiles held are an older
  // coordinator's, and so are the tasks in flight, whose answers it will drop. Called just
  // before on_joined.
  virtual void on_coordinator_restarted() = 0;
  // Welcomed: `again` is false for the first welcome of this process.
  virtual void on_joined(const welcome& w, bool again) = 0;
  // The session ended (silence, a not_hello refusal, a heartbeat of another epoch): the link
  // says hello until it is welcomed again.
  virtual void on_lost() = 0;
};

struct worker_link_options {
  std::string name;
  std::string host;
  std::uint32_t capacity = 64;
  // The hello's wait, doubling up to the cap (dealer_settings).
  std::chrono::milliseconds hello_interval{1000};
  std::chrono::milliseconds max_hello_interval{30000};
  // What this worker accepts (PROTOCOL.md, "Limits").
  wire_limits limits;
  // What the coordinator takes, from its welcome (the link's dealer_settings::announced): results
  // frames keep within them. The worker node's options hold the same.
  std::shared_ptr<announced_limits> coordinator_limits = std::make_shared<announced_limits>();
};

// The session's counters, and what the worker did with the frames it accepted.
struct worker_link_counters : dealer_counters {
  // Task frames whose conversion failed (wire_convert's errors); their tasks were answered
  // with final failures.
  std::array<std::uint64_t, convert_error_count> refused{};
  std::uint64_t profiles = 0;  // batch_profiles passed on
  std::uint64_t tasks = 0;     // tasks passed on
  std::uint64_t refused_tasks = 0;

  std::uint64_t refused_for(convert_error e) const { return refused[static_cast<std::size_t>(e)]; }
};

class worker_link final : public gateway_handler, private dealer_events {
 public:
  using clock = dealer_link::clock;
  static constexpr std::size_t socket = dealer_link::socket;

  worker_link(worker_link_options options, worker_link_listener& listener);

  void on_frame(gateway_io& io, std::size_t socket, const std::string& routing_id,
                std::string_view frame, std::size_t parts) override;
  void on_tick(gateway_io& io, clock::time_point now) override;

  // Thread-safe: a frame went out through gateway::post at `now`, so no heartbeat is due.
  void note_sent(clock::time_point now) { link_.note_sent(now); }

  bool welcomed() const { return link_.welcomed(); }
  std::uint64_t epoch() const { return link_.epoch(); }
  // Read on the I/O thread, or once the gateway stopped.
  worker_link_counters counters() const;

 private:
  void welcomed(const welcome& w, bool restarted) override;
  void lost() override;
  void received(message m) override;
  void on_task_frame(task_frame& f);

  worker_link_options options_;
  worker_link_listener& listener_;
  dealer_link link_;
  worker_link_counters counters_;  // the worker's own; the session's are link_'s
  profile_counts profile_counts_;
  bool ever_joined_ = false;
  // Reasons a hello was refused (too many workers), each logged once; a few at most.
  std::set<std::string> hello_refusals_logged_;
  std::vector<std::string> answers_;  // refused tasks' results, sent once the frame is handled
};

}  // namespace parallm::nodes
