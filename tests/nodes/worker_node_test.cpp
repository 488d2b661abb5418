#define BOOST_TEST_MODULE worker_node
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/send.hpp>

#include "nodes/endpoint_map.hpp"
#include "nodes/result_frames.hpp"
#include "nodes/wire_codec.hpp"
#include "nodes/worker_node.hpp"
#include "support/fake_upstream.hpp"

using namespace parallm;
using namespace parallm::nodes;
using namespace std::chrono_literals;

namespace {

// What the node posts, decoded, for the test thread to wait on.
struct posted_frames {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<wire_result> results;
  std::size_t frames = 0;
  std::size_t undecodable = 0;

  void post(const std::string& frame) {
    auto m = decode(frame);
    std::lock_guard lock(mutex);
    ++frames;
    if (!m || command_of(m.value()) != command::results) {
      ++undecodable;
    } else {
      for (auto& r : std::get<result_frame>(m.value()).results) results.push_back(std::move(r));
    }
    changed.notify_all();
  }

  // Waits (generously) until `n` results came; returns how many did.
  std::size_t wait_for(std::size_t n) {
    std::unique_lock lock(mutex);
    changed.wait_for(lock, 30s, [&] { return results.size() >= n; });
    return results.size();
  }
};

struct actor_fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> system;
  std::shared_ptr<posted_frames> posted = std::make_shared<posted_frames>();

  actor_fixture() {
    cfg.set("scheduler.max-threads", 2);
    system = std::make_unique<caf::actor_system>(cfg);
  }

  worker_node_options options(std::size_t workers = 3) {
    worker_node_options o;
    o.workers = workers;
    o.post = [p = posted](std::string frame) { p->post(frame); };
    return o;
  }
};

actors::batch_profiles sim_profiles(std::uint64_t batch, double latency_ms = 0) {
  flow::call_profile p;
  p.endpoint.kind = config::provider_kind::sim;
  p.endpoint.sim.choices = {"yes"};
  p.endpoint.sim.latency_ms = latency_ms;
  return {batch, std::make_shared<const std::vector<flow::call_profile>>(
                     std::vector<flow::call_profile>{p})};
}

actors::task_batch tasks(std::uint64_t batch, std::uint64_t first, std::uint64_t count) {
  actors::task_batch b;
  for (std::uint64_t c = first; c < first + count; ++c) {
    actors::task t;
    t.key = {7, batch, c};
    t.attempt = static_cast<std::uint32_t>(1 + c % 3);
    t.generation = static_cast<std::uint32_t>(c % 2);
    t.prompt = "prompt " + std::to_string(c);
    b.tasks.push_back(std::move(t));
  }
  return b;
}

actors::attempt_result answer(std::uint64_t counter, std::string text) {
  actors::attempt_result r;
  r.key = {7, 3, counter};
  r.outcome.text = std::move(text);
  return r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(node)

BOOST_FIXTURE_TEST_CASE(tasks_spread_over_the_workers_all_come_back_once, actor_fixture) {
  auto counters = std::make_shared<worker_node_counters>();
  auto o = options();
  o.counters = counters;
  auto node = spawn_worker_node(*system, o);
  caf::anon_send(node, actors::profiles_atom::value, sim_profiles(3, 2));
  for (std::uint64_t first = 1; first <= 1000; first += 100) {
    caf::anon_send(node, actors::tasks_atom::value, tasks(3, first, 100));
  }
  BOOST_TEST_REQUIRE(posted->wait_for(1000) == 1000u);
  std::lock_guard lock(posted->mutex);
  std::vector<int> seen(1001, 0);
  for (const auto& r : posted->results) {
    BOOST_TEST_REQUIRE(r.key.counter <= 1000u);
    ++seen[r.key.counter];
    BOOST_TEST(r.attempt == 1 + r.key.counter % 3);
    BOOST_TEST(r.generation == r.key.counter % 2);
    BOOST_TEST((r.outcome.kind == providers::outcome_kind::ok));
    BOOST_TEST(r.outcome.text == "yes");
  }
  for (std::size_t c = 1; c <= 1000; ++c) BOOST_TEST(seen[c] == 1);
  BOOST_TEST(posted->undecodable == 0u);
  // Answers that come together share frames.
  BOOST_TEST(posted->frames < 1000u);
  BOOST_TEST(counters->results.load() == 1000u);
  BOOST_TEST(counters->http_engines.load() == 0u);  // sim only: no engine
  caf::anon_send_exit(node, caf::exit_reason::user_shutdown);
}

BOOST_FIXTURE_TEST_CASE(after_forget_the_old_batches_tasks_fail_by_name, actor_fixture) {
  auto node = spawn_worker_node(*system, options(2));
  caf::anon_send(node, actors::profiles_atom::value, sim_profiles(3));
  caf::anon_send(node, actors::tasks_atom::value, tasks(3, 1, 4));
  BOOST_TEST_REQUIRE(posted->wait_for(4) == 4u);
  caf::anon_send(node, forget_atom::value);
  caf::anon_send(node, actors::tasks_atom::value, tasks(3, 5, 4));
  BOOST_TEST_REQUIRE(posted->wait_for(8) == 8u);
  std::lock_guard lock(posted->mutex);
  for (std::size_t i = 4; i < 8; ++i) {
    const auto& r = posted->results[i];
    BOOST_TEST((r.outcome.kind == providers::outcome_kind::final));
    BOOST_TEST(r.outcome.error == "no call profile 0 for batch 3");
  }
  caf::anon_send_exit(node, caf::exit_reason::user_shutdown);
}

BOOST_FIXTURE_TEST_CASE(the_sink_replaces_answers_too_large_for_the_wire, actor_fixture) {
  auto counters = std::make_shared<worker_node_counters>();
  auto o = options();
  o.counters = counters;
  auto limits = std::make_shared<announced_limits>();
  wire_limits small;
  small.max_string_bytes = 1000;
  limits->set(small);
  o.limits = limits;
  auto sink = spawn_result_sink(*system, o);
  actors::result_batch b;
  b.results.push_back(answer(1, std::string(1001, 'x')));
  b.results.push_back(answer(2, std::string(1000, 'y')));
  caf::anon_send(sink, actors::results_atom::value, std::move(b));
  BOOST_TEST_REQUIRE(posted->wait_for(2) == 2u);
  std::lock_guard lock(posted->mutex);
  BOOST_TEST(posted->results[0].outcome.text.size() == 1000u);
  const auto& big = posted->results[1];
  BOOST_TEST(big.key.counter == 1u);
  BOOST_TEST((big.outcome.kind == providers::outcome_kind::final));
  BOOST_TEST(big.outcome.error == "answer too large for the wire: 1001 bytes");
  BOOST_TEST(big.outcome.text.empty());
  BOOST_TEST(counters->too_large.load() == 1u);
  caf::anon_send_exit(sink, caf::exit_reason::user_shutdown);
}

// A welcome that comes after the sink started (as every welcome does) sets the frames' size.
BOOST_FIXTURE_TEST_CASE(the_sink_splits_to_the_limits_the_coordinator_announced, actor_fixture) {
  auto counters = std::make_shared<worker_node_counters>();
  auto o = options();
  o.counters = counters;
  auto limits = std::make_shared<announced_limits>();
  o.limits = limits;
  auto sink = spawn_result_sink(*system, o);
  wire_limits announced;
  announced.max_items = 16;
  limits->set(announced);
  actors::result_batch b;
  for (std::uint64_t c = 1; c <= 40; ++c) b.results.push_back(answer(c, "ok"));
  caf::anon_send(sink, actors::results_atom::value, std::move(b));
  BOOST_TEST_REQUIRE(posted->wait_for(40) == 40u);
  BOOST_TEST(counters->frames.load() == 3u);  // 16 + 16 + 8
  BOOST_TEST(counters->too_large.load() == 0u);
  caf::anon_send_exit(sink, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(frames)

BOOST_AUTO_TEST_CASE(results_split_under_the_item_and_byte_limits) {
  wire_limits limits;
  limits.max_items = 100;
  limits.max_frame_bytes = 20000;
  std::vector<actors::attempt_result> results;
  for (std::uint64_t c = 1; c <= 1000; ++c) {
    results.push_back(answer(c, std::string(c % 10 == 0 ? 5000 : 10, 'a')));
  }
  const auto encoded = result_frames(std::move(results), limits);
  BOOST_TEST(encoded.too_large == 0u);
  std::uint64_t next = 1;
  for (const auto& f : encoded.frames) {
    BOOST_TEST(f.size() <= limits.max_frame_bytes);
    auto m = decode(f, limits);
    BOOST_TEST_REQUIRE(m.has_value());
    const auto& rs = std::get<result_frame>(m.value()).results;
    BOOST_TEST(rs.size() <= 100u);
    for (const auto& r : rs) BOOST_TEST(r.key.counter == next++);
  }
  BOOST_TEST(next == 1001u);
  BOOST_TEST(encoded.frames.size() >= 10u);
}

BOOST_AUTO_TEST_CASE(choices_that_fill_more_than_a_frame_become_a_failure) {
  wire_limits limits;
  limits.max_frame_bytes = 4000;
  auto big = answer(1, std::string(1500, 'a'));
  big.outcome.more_texts = {std::string(1500, 'b'), std::string(1500, 'c')};
  big.outcome.prompt_tokens = 12;
  big.attempt = 3;
  std::vector<actors::attempt_result> results{big, answer(2, "ok")};
  const auto encoded = result_frames(std::move(results), limits);
  BOOST_TEST(encoded.too_large == 1u);
  std::vector<wire_result> got;
  for (const auto& f : encoded.frames) {
    auto m = decode(f, limits);
    BOOST_TEST_REQUIRE(m.has_value());
    for (auto& r : std::get<result_frame>(m.value()).results) got.push_back(std::move(r));
  }
  BOOST_TEST_REQUIRE(got.size() == 2u);
  BOOST_TEST(got[0].outcome.text == "ok");  // what fits keeps its place; the failure follows
  BOOST_TEST(got[1].key.counter == 1u);
  BOOST_TEST(got[1].attempt == 3u);
  BOOST_TEST((got[1].outcome.kind == providers::outcome_kind::final));
  BOOST_TEST(got[1].outcome.error == "answer too large for the wire: 4500 bytes");
  BOOST_TEST(got[1].outcome.more_texts.empty());
  BOOST_TEST(got[1].outcome.prompt_tokens == 12u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(endpoint_map)

BOOST_AUTO_TEST_CASE(rewrites_match_whole_urls_or_path_prefixes) {
  const std::vector<endpoint_rewrite> map{{"http://gpu-3:8000", "http://127.0.0.1:8000"},
                                          {"https://api.example/v1/", "http://proxy:9/v1"}};
  BOOST_TEST(rewrite_endpoint("http://gpu-3:8000", map) == "http://127.0.0.1:8000");
  BOOST_TEST(rewrite_endpoint("http://gpu-3:8000/", map) == "http://127.0.0.1:8000");
  BOOST_TEST(rewrite_endpoint("http://gpu-3:8000/v1", map) == "http://127.0.0.1:8000/v1");
  BOOST_TEST(rewrite_endpoint("https://api.example/v1", map) == "http://proxy:9/v1");
  BOOST_TEST(rewrite_endpoint("https://api.example/v1/chat", map) == "http://proxy:9/v1/chat");
  // Not a path prefix: another host that only starts alike.
  BOOST_TEST(rewrite_endpoint("http://gpu-3:80001/v1", map) == "http://gpu-3:80001/v1");
  BOOST_TEST(rewrite_endpoint("http://other/v1", map) == "http://other/v1");
}

BOOST_AUTO_TEST_CASE(rewrites_are_parsed_from_from_equals_to) {
  const auto r = parse_endpoint_rewrite("http://a:1/v1=http://b:2/v1?x=y");
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST(r->from == "http://a:1/v1");
  BOOST_TEST(r->to == "http://b:2/v1?x=y");
  BOOST_TEST(!parse_endpoint_rewrite("http://a").has_value());
  BOOST_TEST(!parse_endpoint_rewrite("=http://b").has_value());
  BOOST_TEST(!parse_endpoint_rewrite("http://a=").has_value());
}

BOOST_FIXTURE_TEST_CASE(http_profiles_are_rewritten_and_get_an_engine_when_they_come,
                        actor_fixture) {
  // The job names a host this machine does not know; the map sends its calls to the local
  // server, and the key comes from this process's environment by the profile's variable name.
  test::fake_upstream upstream;
  ::setenv("PARALLM_WORKER_NODE_TEST_KEY", "sk-local-only", 1);
  auto counters = std::make_shared<worker_node_counters>();
  auto o = options(2);
  o.counters = counters;
  o.endpoint_map = {{"http://gpu-3.invalid:8000", upstream.base_url()}};
  auto node = spawn_worker_node(*system, o);
  caf::anon_send(node, actors::profiles_atom::value, sim_profiles(2));
  caf::anon_send(node, actors::tasks_atom::value, tasks(2, 1, 2));
  BOOST_TEST_REQUIRE(posted->wait_for(2) == 2u);
  BOOST_TEST(counters->http_engines.load() == 0u);

  flow::call_profile p;
  p.endpoint.kind = config::provider_kind::openai;
  p.endpoint.base_url = "http://gpu-3.invalid:8000/echo-headers/v1";
  p.endpoint.model = "m";
  p.endpoint.api_key_env = "PARALLM_WORKER_NODE_TEST_KEY";
  const auto given =
      std::make_shared<const std::vector<flow::call_profile>>(std::vector<flow::call_profile>{p});
  caf::anon_send(node, actors::profiles_atom::value, actors::batch_profiles{3, given});
  caf::anon_send(node, actors::tasks_atom::value, tasks(3, 1, 4));
  // The sim batch's profiles outlive the new engine's workers.
  caf::anon_send(node, actors::tasks_atom::value, tasks(2, 3, 2));
  BOOST_TEST_REQUIRE(posted->wait_for(8) == 8u);
  caf::anon_send_exit(node, caf::exit_reason::user_shutdown);
  BOOST_TEST(counters->http_engines.load() == 1u);
  std::lock_guard lock(posted->mutex);
  for (std::size_t i = 2; i < 8; ++i) {
    const auto& r = posted->results[i];
    BOOST_TEST_CONTEXT("task " << r.key.batch << "/" << r.key.counter << ": " << r.outcome.error) {
      BOOST_TEST((r.outcome.kind == providers::outcome_kind::ok));
      if (r.key.batch == 3) {
        // The upstream echoes the header; the worker cuts the key's value from the answer.
        BOOST_TEST(r.outcome.text.find("Bearer [redacted api key]") != std::string::npos);
        BOOST_TEST(r.outcome.text.find("sk-local-only") == std::string::npos);
      } else {
        BOOST_TEST(r.outcome.text == "yes");
      }
    }
  }
  // The sender's list is left as it was.
  BOOST_TEST(given->at(0).endpoint.base_url == "http://gpu-3.invalid:8000/echo-headers/v1");
}

BOOST_AUTO_TEST_SUITE_END()
