#define BOOST_TEST_MODULE gateway_curve
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "nodes/curve_keys.hpp"
#include "nodes/gateway.hpp"

#include "curve_gateway_peers.hpp"

using namespace parallm::nodes;
using namespace parallm::nodes::test;
using namespace std::chrono_literals;
using role = socket_spec::role;

namespace {

// Admits the keys it is given; remembers what it was asked and told.
class test_guard final : public gateway_guard {
 public:
  explicit test_guard(std::set<std::string> keys) : keys_(std::move(keys)) {}
  bool authorize(std::string_view domain, std::string_view address, std::string_view mechanism,
                 const std::string& public_key) override {
    std::lock_guard lock(mutex_);
    asked_.push_back(std::string(domain) + " " + std::string(address) + " " +
                     std::string(mechanism) + " " + public_key);
    return keys_.count(public_key) > 0;
  }
  void handshake_failed(std::size_t socket, handshake_failure what,
                        const std::string& address) override {
    std::lock_guard lock(mutex_);
    failures_.push_back(std::to_string(socket) + " " +
                        (what == handshake_failure::plain_text_peer ? "plain" : "refused") + " " +
                        address);
  }
  void on_tick(std::chrono::steady_clock::time_point) override { ++ticks; }
  void admit(const std::string& key) {
    std::lock_guard lock(mutex_);
    keys_.insert(key);
  }
  std::vector<std::string> asked() {
    std::lock_guard lock(mutex_);
    return asked_;
  }
  std::vector<std::string> failures() {
    std::lock_guard lock(mutex_);
    return failures_;
  }
  std::atomic<int> ticks{0};

 private:
  std::set<std::string> keys_;
  std::mutex mutex_;
  std::vector<std::string> asked_;
  std::vector<std::string> failures_;
};

// A raw DEALER, with or without CURVE, that sends one frame after connecting.
zmq::socket_t dealer(zmq::context_t& context, const std::string& endpoint, const curve_keypair* own,
                     const std::string& server_key) {
  zmq::socket_t s(context, zmq::socket_type::dealer);
  s.set(zmq::sockopt::linger, 0);
  s.set(zmq::sockopt::reconnect_ivl, 50);
  if (own != nullptr) {
    s.set(zmq::sockopt::curve_serverkey, server_key);
    s.set(zmq::sockopt::curve_publickey, own->public_key);
    s.set(zmq::sockopt::curve_secretkey, own->secret_key);
  }
  s.connect(endpoint);
  return s;
}

struct curve_server {
  curve_keypair server = generate_curve_keypair();
  curve_keypair friend_keys = generate_curve_keypair();
  recorder handler;
  test_guard guard{{friend_keys.public_key}};
  gateway gw{{spec(role::router_bind, "tcp://127.0.0.1:*", {server.secret_key, {}, {}, "workers"})},
             handler,
             20ms,
             &guard};
  curve_server() { gw.start(); }
};

}  // namespace

BOOST_AUTO_TEST_CASE(a_router_with_curve_needs_a_guard) {
  recorder handler;
  const auto server = generate_curve_keypair();
  gateway gw({spec(role::router_bind, "tcp://127.0.0.1:*", {server.secret_key, {}, {}, "w"})},
             handler);
  BOOST_CHECK_THROW(gw.start(), std::logic_error);
}

BOOST_AUTO_TEST_CASE(a_listed_key_gets_through_and_is_asked_about_with_its_domain_and_address) {
  curve_server s;
  zmq::context_t context;
  auto peer = dealer(context, s.gw.endpoint(0), &s.friend_keys, s.server.public_key);
  peer.send(zmq::buffer(std::string("hello")), zmq::send_flags::none);
  BOOST_TEST(eventually([&] { return s.handler.frames().size() == 1; }));
  BOOST_TEST(s.handler.frames().at(0) == "hello");
  const auto asked = s.guard.asked();
  BOOST_REQUIRE(!asked.empty());
  BOOST_TEST(asked.front() == "workers 127.0.0.1 CURVE " + s.friend_keys.public_key);
  BOOST_TEST(s.guard.failures().empty());
  BOOST_TEST(s.guard.ticks.load() > 0);
}

BOOST_AUTO_TEST_CASE(an_unlisted_key_gets_nothing_through_and_is_told_so) {
  curve_server s;
  const auto stranger_keys = generate_curve_keypair();
  // The stranger's own gateway, so that its monitor's view is tested too.
  recorder stranger_handler;
  test_guard stranger_guard{{}};
  gateway stranger(
      {spec(role::dealer_connect, s.gw.endpoint(0),
            {stranger_keys.secret_key, stranger_keys.public_key, s.server.public_key, {}})},
      stranger_handler, 20ms, &stranger_guard);
  stranger.start();
  stranger.post(0, {}, "let me in");
  BOOST_REQUIRE(eventually([&] { return !stranger_guard.failures().empty(); }));
  BOOST_TEST(stranger_guard.failures().front().rfind("0 refused ", 0) == 0);
  BOOST_REQUIRE(!s.guard.asked().empty());
  BOOST_TEST(s.guard.asked().front() == "workers 127.0.0.1 CURVE " + stranger_keys.public_key);
  // A listed peer after it still gets through, and the stranger's frame never did.
  zmq::context_t context;
  auto peer = dealer(context, s.gw.endpoint(0), &s.friend_keys, s.server.public_key);
  peer.send(zmq::buffer(std::string("friend")), zmq::send_flags::none);
  BOOST_TEST(eventually([&] { return !s.handler.frames().empty(); }));
  BOOST_TEST(s.handler.frames() == std::vector<std::string>{"friend"});
  // A refused key is not taken for a plain-text peer.
  for (const auto& failure : s.guard.failures())
    BOOST_TEST(failure.find("plain") == std::string::npos);

  // libzmq gives up a refused connection; the gateway connects again, and once the key is
  // listed the stranger gets through without being restarted.
  s.guard.admit(stranger_keys.public_key);
  BOOST_TEST(eventually([&] {
    stranger.post(0, {}, "again");
    std::this_thread::sleep_for(50ms);
    const auto frames = s.handler.frames();
    return std::find(frames.begin(), frames.end(), "again") != frames.end();
  }));
  BOOST_TEST(stranger_guard.failures().size() >= 1u);
}

BOOST_AUTO_TEST_CASE(a_plain_text_peer_is_reported_and_gets_nothing_through) {
  curve_server s;
  zmq::context_t context;
  auto peer = dealer(context, s.gw.endpoint(0), nullptr, {});
  peer.send(zmq::buffer(std::string("plain")), zmq::send_flags::none);
  BOOST_REQUIRE(eventually([&] { return !s.guard.failures().empty(); }));
  // The peer's IP, or nothing when the connection was gone before the gateway could ask the
  // kernel (libzmq's event names only the ROUTER's own endpoint).
  const auto failure = s.guard.failures().front();
  BOOST_TEST((failure == "0 plain 127.0.0.1" || failure == "0 plain "), failure);
  BOOST_TEST(s.guard.asked().empty());  // never got as far as ZAP
  BOOST_TEST(s.handler.frames().empty());
}
