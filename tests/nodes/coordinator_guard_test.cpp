#define BOOST_TEST_MODULE coordinator_guard
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <filesystem>
#include <string>

#include "nodes/coordinator_guard.hpp"
#include "nodes/curve_keys.hpp"
#include "nodes/frame_post.hpp"
#include "support/process.hpp"

// The coordinator's guard over real directories, with injected time: keys added or removed
// are seen at the next rescan or at once after reload_soon() (SIGHUP), each side checks its
// own list, and refusals reach the counters.

using namespace parallm::nodes;
using namespace std::chrono_literals;
using parallm::test::temp_dir;
using parallm::test::write_file;

namespace {

struct fixture {
  temp_dir dir;
  std::string worker = generate_curve_keypair().public_key;
  std::string client = generate_curve_keypair().public_key;
  std::chrono::steady_clock::time_point now{};

  fixture() {
    std::filesystem::create_directory(dir / "workers");
    std::filesystem::create_directory(dir / "clients");
  }
  coordinator_guard_options options() const {
    coordinator_guard_options o;
    o.workers_keys = dir / "workers";
    o.clients_keys = dir / "clients";
    o.rescan = 1000ms;
    return o;
  }
  bool worker_admitted(coordinator_guard& guard, const std::string& key) {
    return guard.authorize("workers", "127.0.0.1", "CURVE", key);
  }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(each_side_admits_the_keys_of_its_own_directory, fixture) {
  write_file(dir / "workers" / "w.public", worker);
  write_file(dir / "clients" / "c.public", client);
  coordinator_guard guard(options());
  BOOST_REQUIRE(!guard.load());
  BOOST_TEST(worker_admitted(guard, worker));
  BOOST_TEST(!worker_admitted(guard, client));
  BOOST_TEST(guard.authorize("clients", "127.0.0.1", "CURVE", client));
  BOOST_TEST(!guard.authorize("clients", "127.0.0.1", "CURVE", worker));
  BOOST_TEST(guard.counters(peer_kind::worker).unknown_key == 1u);
  BOOST_TEST(guard.counters(peer_kind::client).unknown_key == 1u);
}

BOOST_FIXTURE_TEST_CASE(one_directory_may_serve_both_sides, fixture) {
  write_file(dir / "workers" / "w.public", worker);
  auto o = options();
  o.clients_keys = o.workers_keys;
  coordinator_guard guard(o);
  BOOST_REQUIRE(!guard.load());
  BOOST_TEST(guard.authorize("clients", "127.0.0.1", "CURVE", worker));
}

BOOST_FIXTURE_TEST_CASE(a_key_added_is_admitted_after_the_next_rescan_and_a_removed_one_refused,
                        fixture) {
  coordinator_guard guard(options());
  BOOST_REQUIRE(!guard.load());
  guard.on_tick(now);
  BOOST_TEST(!worker_admitted(guard, worker));
  write_file(dir / "workers" / "w.public", worker + "\n");
  guard.on_tick(now + 500ms);  // not yet due
  BOOST_TEST(!worker_admitted(guard, worker));
  guard.on_tick(now + 1000ms);
  BOOST_TEST(worker_admitted(guard, worker));
  std::filesystem::remove(dir / "workers" / "w.public");
  guard.on_tick(now + 2000ms);
  BOOST_TEST(!worker_admitted(guard, worker));
}

BOOST_FIXTURE_TEST_CASE(reload_soon_rereads_at_the_next_tick, fixture) {
  coordinator_guard guard(options());
  BOOST_REQUIRE(!guard.load());
  guard.on_tick(now);
  write_file(dir / "workers" / "w.public", worker);
  guard.reload_soon();
  guard.on_tick(now + 10ms);
  BOOST_TEST(worker_admitted(guard, worker));
}

BOOST_FIXTURE_TEST_CASE(plain_text_peers_count_on_the_side_of_their_socket, fixture) {
  coordinator_guard guard(options());
  BOOST_REQUIRE(!guard.load());
  guard.handshake_failed(workers_socket, handshake_failure::plain_text_peer, "127.0.0.1");
  guard.handshake_failed(clients_socket, handshake_failure::plain_text_peer, "127.0.0.1");
  guard.handshake_failed(clients_socket, handshake_failure::plain_text_peer, "127.0.0.1");
  BOOST_TEST(guard.counters(peer_kind::worker).no_curve == 1u);
  BOOST_TEST(guard.counters(peer_kind::client).no_curve == 2u);
}

BOOST_FIXTURE_TEST_CASE(a_missing_directory_fails_the_load, fixture) {
  auto o = options();
  o.clients_keys = dir / "nowhere";
  coordinator_guard guard(o);
  const auto error = guard.load();
  BOOST_REQUIRE(error.has_value());
  BOOST_TEST(error->find("nowhere") != std::string::npos);
}
