#define BOOST_TEST_MODULE gateway_redial
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "nodes/curve_keys.hpp"
#include "nodes/gateway.hpp"

#include "curve_gateway_peers.hpp"

// A CURVE client refused by the server's ZAP is ended for good by libzmq; the gateway dials
// again by itself, so a key listed after the refusal gets through without a restart.

using namespace parallm::nodes;
using namespace parallm::nodes::test;
using namespace std::chrono_literals;
using role = socket_spec::role;

namespace {

// Admits the keys listed so far; counts what it refused and what it was told.
class listing_guard final : public gateway_guard {
 public:
  void list(const std::string& key) {
    std::lock_guard lock(mutex_);
    keys_.insert(key);
  }
  bool authorize(std::string_view, std::string_view, std::string_view,
                 const std::string& public_key) override {
    std::lock_guard lock(mutex_);
    const bool admit = keys_.count(public_key) > 0;
    if (!admit) ++refused;
    return admit;
  }
  void handshake_failed(std::size_t, handshake_failure what, const std::string&) override {
    if (what == handshake_failure::key_refused) ++told_refused;
  }
  void on_tick(std::chrono::steady_clock::time_point) override {}
  std::atomic<int> refused{0};
  std::atomic<int> told_refused{0};

 private:
  std::mutex mutex_;
  std::set<std::string> keys_;
};

}  // namespace

BOOST_AUTO_TEST_CASE(a_refused_client_tries_again_and_gets_through_once_its_key_is_listed) {
  const auto server_keys = generate_curve_keypair();
  const auto client_keys = generate_curve_keypair();
  recorder server_handler;
  listing_guard server_guard;
  gateway server(
      {spec(role::router_bind, "tcp://127.0.0.1:*", {server_keys.secret_key, {}, {}, "workers"})},
      server_handler, 20ms, &server_guard);
  server.start();

  recorder client_handler;
  listing_guard client_guard;
  gateway client(
      {spec(role::dealer_connect, server.endpoint(0),
            {client_keys.secret_key, client_keys.public_key, server_keys.public_key, {}})},
      client_handler, 20ms, &client_guard);
  client.start();

  // Refused, told so, and refused again: the client did not stop at the first refusal.
  client.post(0, {}, "let me in");
  BOOST_TEST(eventually([&] { return server_guard.refused.load() >= 2; }),
             "refused " << server_guard.refused.load() << " times");
  BOOST_TEST(client_guard.told_refused.load() >= 1);
  BOOST_TEST(server_handler.frames().empty());

  // Listed now: a frame sent after that arrives, with no new gateway on either side. (What was
  // queued on a refused connection went with it, as with any lost connection.)
  server_guard.list(client_keys.public_key);
  BOOST_TEST(eventually([&] { return !server_handler.frames().empty(); }, std::chrono::seconds(20),
                        [&] { client.post(0, {}, "let me in"); }));
  for (const auto& frame : server_handler.frames()) BOOST_TEST(frame == "let me in");
}
