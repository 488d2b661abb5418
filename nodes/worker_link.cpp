#include "nodes/worker_link.hpp"

#include <cstdio>
#include <utility>
#include <variant>
#include <vector>

#include "actors/messages.hpp"
#include "nodes/result_frames.hpp"
#include "nodes/wire_codec.hpp"

namespace parallm::nodes {
namespace {

dealer_settings settings_of(const worker_link_options& o) {
  dealer_settings s;
  s.hello = encode(worker_hello{o.name, o.host, o.capacity});
  s.hello_interval = o.hello_interval;
  s.max_hello_interval = o.max_hello_interval;
  s.limits = o.limits;
  s.announced = o.coordinator_limits;
  return s;
}

struct task_identity {
  task_key key;
  std::uint32_t attempt = 0;
  std::uint32_t generation = 0;
};

}  // namespace

worker_link::worker_link(worker_link_options options, worker_link_listener& listener)
    : options_(std::move(options)),
      listener_(listener),
      // The commands a coordinator sends to a worker (PROTOCOL.md, "Commands").
      link_(settings_of(options_), *this, {command::batch_profiles, command::tasks}) {}

void worker_link::on_frame(gateway_io& io, std::size_t socket, const std::string& routing_id,
                           std::string_view frame, std::size_t parts) {
  link_.on_frame(io, socket, routing_id, frame, parts);
  for (auto& answer : answers_) link_.send(io, std::move(answer));
  answers_.clear();
}

void worker_link::on_tick(gateway_io& io, clock::time_point now) {
  link_.on_tick(io, now);
}

worker_link_counters worker_link::counters() const {
  auto all = counters_;
  static_cast<dealer_counters&>(all) = link_.counters();
  return all;
}

void worker_link::welcomed(const welcome& w, bool restarted) {
  if (restarted) {
    profile_counts_.clear();
    listener_.on_coordinator_restarted();
  }
  listener_.on_joined(w, ever_joined_);
  ever_joined_ = true;
}

void worker_link::lost() {
  listener_.on_lost();
}

void worker_link::received(message m) {
  if (auto* f = std::get_if<task_frame>(&m)) return on_task_frame(*f);
  if (auto* b = std::get_if<batch_profiles>(&m)) {
    profile_counts_[b->batch] = b->profiles.size();
    ++counters_.profiles;
    listener_.on_profiles(from_wire(std::move(*b)));
  }
  // A refused hello (the coordinator has as many workers as it takes) is said again with the
  // hello's backoff; the operator learns why once. Other refusals are counted by the link only.
  const auto* r = std::get_if<refusal>(&m);
  if (r && r->refused == command::worker_hello && hello_refusals_logged_.size() < 8 &&
      hello_refusals_logged_.insert(r->reason).second) {
    std::fprintf(stderr, "parallm worker %s: the coordinator refused us: %s\n",
                 options_.name.c_str(), r->reason.c_str());
  }
}

void worker_link::on_task_frame(task_frame& f) {
  std::vector<task_identity> ids;
  ids.reserve(f.tasks.size());
  for (const auto& t : f.tasks) ids.push_back({t.key, t.attempt, t.generation});
  auto converted = from_wire(std::move(f), profile_counts_);
  if (converted) {
    counters_.tasks += ids.size();
    listener_.on_tasks(std::move(converted.value()));
    return;
  }
  // One bad task makes the frame suspect, but every task in it still holds a credit at the
  // coordinator: each is answered with a final failure, which returns the credit and fails
  // the item by name instead of leaving it in flight until the worker is given up.
  const auto failure = converted.error();
  ++counters_.refused[static_cast<std::size_t>(failure.error)];
  counters_.refused_tasks += ids.size();
  const auto why = std::string(to_string(failure.error));
  std::vector<actors::attempt_result> answers;
  answers.reserve(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    actors::attempt_result r;
    r.key = ids[i].key;
    r.attempt = ids[i].attempt;
    r.generation = ids[i].generation;
    r.outcome.kind = providers::outcome_kind::final;
    r.outcome.error = i == failure.index
                          ? "task refused by the worker: " + why
                          : "task refused by the worker: task " + std::to_string(failure.index) +
                                " of its frame had " + why;
    answers.push_back(std::move(r));
  }
  for (auto& frame : result_frames(std::move(answers), options_.coordinator_limits->get()).frames) {
    answers_.push_back(std::move(frame));
  }
}

}  // namespace parallm::nodes
