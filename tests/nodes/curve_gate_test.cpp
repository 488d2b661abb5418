#define BOOST_TEST_MODULE curve_gate
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <set>
#include <string>

#include "nodes/curve_gate.hpp"
#include "nodes/curve_keys.hpp"

using namespace parallm::nodes;

namespace {

struct fixture {
  std::set<std::string> workers;
  std::set<std::string> clients;
  curve_gate gate{[this](peer_kind side, const std::string& key) {
    return (side == peer_kind::worker ? workers : clients).count(key) > 0;
  }};
  std::string known = generate_curve_keypair().public_key;
  std::string stranger = generate_curve_keypair().public_key;
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(a_listed_key_is_admitted_on_its_own_side_only, fixture) {
  workers.insert(known);
  BOOST_TEST(gate.on_zap("workers", "10.0.0.7", "CURVE", known).admit);
  BOOST_TEST(gate.on_zap("workers", "10.0.0.7", "CURVE", known).log.empty());
  BOOST_TEST(!gate.on_zap("clients", "10.0.0.7", "CURVE", known).admit);
  BOOST_TEST(gate.counters(peer_kind::worker).unknown_key == 0u);
  BOOST_TEST(gate.counters(peer_kind::worker).no_curve == 0u);
  BOOST_TEST(gate.counters(peer_kind::client).unknown_key == 1u);
}

BOOST_FIXTURE_TEST_CASE(an_unknown_key_is_refused_counted_every_time_and_logged_once, fixture) {
  const auto first = gate.on_zap("workers", "10.0.0.7", "CURVE", stranger);
  BOOST_TEST(!first.admit);
  BOOST_TEST(first.log ==
             "refused worker at 10.0.0.7: key " + fingerprint(stranger) + " is not authorized");
  BOOST_TEST(first.log.find(stranger) == std::string::npos);  // the fingerprint only
  for (int i = 0; i < 5; ++i) {
    const auto again = gate.on_zap("workers", "10.0.0.7", "CURVE", stranger);
    BOOST_TEST(!again.admit);
    BOOST_TEST(again.log.empty());
  }
  BOOST_TEST(gate.counters(peer_kind::worker).unknown_key == 6u);
  // Another address, another key, or the other side: logged once each.
  BOOST_TEST(!gate.on_zap("workers", "10.0.0.8", "CURVE", stranger).log.empty());
  BOOST_TEST(!gate.on_zap("workers", "10.0.0.7", "CURVE", known).log.empty());
  const auto client = gate.on_zap("clients", "10.0.0.7", "CURVE", stranger);
  BOOST_TEST(client.log ==
             "refused client at 10.0.0.7: key " + fingerprint(stranger) + " is not authorized");
  BOOST_TEST(gate.counters(peer_kind::client).unknown_key == 1u);
}

BOOST_FIXTURE_TEST_CASE(a_key_added_later_is_admitted_and_a_removed_one_refused, fixture) {
  BOOST_TEST(!gate.on_zap("clients", "127.0.0.1", "CURVE", known).admit);
  clients.insert(known);
  BOOST_TEST(gate.on_zap("clients", "127.0.0.1", "CURVE", known).admit);
  clients.erase(known);
  BOOST_TEST(!gate.on_zap("clients", "127.0.0.1", "CURVE", known).admit);
}

BOOST_FIXTURE_TEST_CASE(plain_text_peers_are_counted_and_logged_once_per_side_and_address,
                        fixture) {
  BOOST_TEST(gate.on_plain_text_peer(peer_kind::worker, "127.0.0.1") ==
             "refused worker at 127.0.0.1: no CURVE (plain-text peer)");
  BOOST_TEST(gate.on_plain_text_peer(peer_kind::worker, "127.0.0.1").empty());
  BOOST_TEST(gate.on_plain_text_peer(peer_kind::client, "127.0.0.1") ==
             "refused client at 127.0.0.1: no CURVE (plain-text peer)");
  BOOST_TEST(gate.counters(peer_kind::worker).no_curve == 2u);
  BOOST_TEST(gate.counters(peer_kind::client).no_curve == 1u);
  BOOST_TEST(gate.counters(peer_kind::worker).unknown_key == 0u);
}

// One plain-text peer's attempts come with and without its IP (libzmq may close the
// connection before the gateway reads it): within the window that is one line, not two.
BOOST_FIXTURE_TEST_CASE(a_plain_text_peer_seen_with_and_without_its_address_is_logged_once,
                        fixture) {
  const auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  const auto window = curve_gate::plain_text_window;
  // The address first, then an attempt without it.
  BOOST_TEST(!gate.on_plain_text_peer(peer_kind::worker, "10.0.0.5", t0).empty());
  BOOST_TEST(gate.on_plain_text_peer(peer_kind::worker, "", t0 + window / 2).empty());
  // Without it first, then with it.
  BOOST_TEST(gate.on_plain_text_peer(peer_kind::client, "", t0) ==
             "refused client at an address gone before it could be read: no CURVE "
             "(plain-text peer)");
  BOOST_TEST(gate.on_plain_text_peer(peer_kind::client, "10.0.0.6", t0 + window / 2).empty());
  // That IP counts as logged: it is not logged later either.
  BOOST_TEST(gate.on_plain_text_peer(peer_kind::client, "10.0.0.6", t0 + 3 * window).empty());
  // Another peer, after the window, is logged with its IP; an unknown address is logged once
  // per side at most.
  BOOST_TEST(gate.on_plain_text_peer(peer_kind::worker, "10.0.0.7", t0 + 2 * window) ==
             "refused worker at 10.0.0.7: no CURVE (plain-text peer)");
  BOOST_TEST(!gate.on_plain_text_peer(peer_kind::worker, "", t0 + 4 * window).empty());
  BOOST_TEST(gate.on_plain_text_peer(peer_kind::worker, "", t0 + 6 * window).empty());
  BOOST_TEST(gate.counters(peer_kind::worker).no_curve == 5u);
  BOOST_TEST(gate.counters(peer_kind::client).no_curve == 3u);
}

BOOST_FIXTURE_TEST_CASE(another_mechanism_or_an_unknown_domain_is_refused, fixture) {
  workers.insert(known);
  const auto plain = gate.on_zap("workers", "127.0.0.1", "NULL", "");
  BOOST_TEST(!plain.admit);
  BOOST_TEST(gate.counters(peer_kind::worker).no_curve == 1u);
  BOOST_TEST(!gate.on_zap("", "127.0.0.1", "CURVE", known).admit);
  BOOST_TEST(!gate.on_zap("admins", "127.0.0.1", "CURVE", known).admit);
}

BOOST_FIXTURE_TEST_CASE(the_log_memory_is_bounded, fixture) {
  std::size_t logged = 0;
  const std::size_t tries = curve_gate::max_logged + 50;
  for (std::size_t i = 0; i < tries; ++i) {
    const auto address = "10." + std::to_string(i / 65536) + "." + std::to_string(i / 256 % 256) +
                         "." + std::to_string(i % 256);
    logged += !gate.on_zap("workers", address, "CURVE", stranger).log.empty();
  }
  // One line per remembered refusal, then one that says the rest go unlogged.
  BOOST_TEST(logged == curve_gate::max_logged + 1);
  BOOST_TEST(gate.counters(peer_kind::worker).unknown_key == tries);
}
