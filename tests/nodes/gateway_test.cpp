#define BOOST_TEST_MODULE gateway
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "nodes/gateway.hpp"
#include "support/process.hpp"

using namespace parallm::nodes;
using namespace std::chrono_literals;
using role = socket_spec::role;
using parallm::test::temp_dir;

namespace {

// Every condition gets this long: far more than a loaded machine needs, and still bounded.
constexpr auto patience = 10s;

struct received {
  std::size_t socket = 0;
  std::string routing_id;
  std::string frame;
  std::size_t parts = 0;
};

// Records what arrives, and may answer from the I/O thread through `reply`, which is set
// before the gateway starts.
class recorder final : public gateway_handler {
 public:
  std::function<void(gateway_io&, const received&)> reply;
  std::atomic<int> ticks{0};

  void on_frame(gateway_io& io, std::size_t socket, const std::string& routing_id,
                std::string_view frame, std::size_t parts) override {
    received r{socket, routing_id, std::string(frame), parts};
    {
      std::lock_guard lock(mutex_);
      frames_.push_back(r);
    }
    changed_.notify_all();
    if (reply) reply(io, r);
  }
  void on_tick(gateway_io&, std::chrono::steady_clock::time_point) override { ++ticks; }
  void on_overflow(gateway_io&, std::size_t socket, const std::string& routing_id) override {
    if (overflow) overflow(socket, routing_id);
  }
  std::function<void(std::size_t, const std::string&)> overflow;

  bool wait_for_count(std::size_t n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, patience, [&] { return frames_.size() >= n; });
  }
  std::vector<received> frames() {
    std::lock_guard lock(mutex_);
    return frames_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<received> frames_;
};

bool eventually(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return condition();
}

std::vector<socket_spec> router_on(std::string endpoint, int high_water_mark = 10000) {
  return {{role::router_bind, std::move(endpoint), high_water_mark, {}}};
}
std::vector<socket_spec> dealer_to(std::string endpoint) {
  return {{role::dealer_connect, std::move(endpoint), 10000, {}}};
}

// Bound and released again, so that a later bind to it finds it free.
std::string free_tcp_endpoint() {
  recorder r;
  gateway probe(router_on("tcp://127.0.0.1:*"), r);
  probe.start();
  return probe.endpoint(0);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(exchange)

BOOST_AUTO_TEST_CASE(a_router_and_a_dealer_exchange_frames_both_ways) {
  recorder at_router, at_dealer;
  gateway router(router_on("tcp://127.0.0.1:*"), at_router);
  router.start();
  const auto ep = router.endpoint(0);
  BOOST_TEST(ep.starts_with("tcp://127.0.0.1:"));
  BOOST_TEST(!ep.ends_with(":*"));

  gateway dealer(dealer_to(ep), at_dealer);
  dealer.start();
  BOOST_TEST(dealer.endpoint(0) == ep);
  dealer.post(0, "ignored by a dealer", "hello");
  BOOST_TEST_REQUIRE(at_router.wait_for_count(1));
  const auto hello = at_router.frames().at(0);
  BOOST_TEST(hello.socket == 0u);
  BOOST_TEST(hello.frame == "hello");
  BOOST_TEST(hello.parts == 1u);
  BOOST_TEST(!hello.routing_id.empty());

  router.post(0, hello.routing_id, "welcome");
  BOOST_TEST_REQUIRE(at_dealer.wait_for_count(1));
  const auto welcome = at_dealer.frames().at(0);
  BOOST_TEST(welcome.frame == "welcome");
  BOOST_TEST(welcome.routing_id == "");

  BOOST_TEST(router.counters().frames_in == 1u);
  BOOST_TEST(router.counters().bytes_in == 5u);
  // The router's thread counts a frame once ZeroMQ took it, which may be after it arrived.
  BOOST_TEST(eventually([&] { return router.counters().frames_out == 1u; }));
  BOOST_TEST(router.counters().bytes_out == 7u);
  BOOST_TEST(dealer.counters().frames_out == 1u);
  BOOST_TEST(dealer.counters().frames_in == 1u);
}

BOOST_AUTO_TEST_CASE(frames_posted_from_another_thread_keep_their_order_both_ways) {
  constexpr int n = 10000;
  recorder at_router, at_dealer;
  gateway router(router_on("tcp://127.0.0.1:*"), at_router);
  router.start();
  gateway dealer(dealer_to(router.endpoint(0)), at_dealer);
  dealer.start();

  std::thread up([&] {
    for (int i = 0; i < n; ++i) dealer.post(0, "", std::to_string(i));
  });
  up.join();
  BOOST_TEST_REQUIRE(at_router.wait_for_count(n));
  const auto ups = at_router.frames();
  const auto rid = ups.at(0).routing_id;
  for (int i = 0; i < n; ++i) {
    BOOST_TEST_REQUIRE(ups[i].frame == std::to_string(i));
    BOOST_TEST_REQUIRE(ups[i].routing_id == rid);
  }

  std::thread down([&] {
    for (int i = 0; i < n; ++i) router.post(0, rid, std::to_string(i));
  });
  down.join();
  BOOST_TEST_REQUIRE(at_dealer.wait_for_count(n));
  const auto downs = at_dealer.frames();
  for (int i = 0; i < n; ++i) BOOST_TEST_REQUIRE(downs[i].frame == std::to_string(i));
  BOOST_TEST(router.counters().unreachable == 0u);
}

BOOST_AUTO_TEST_CASE(ipc_endpoints_work_too) {
  temp_dir dir;
  const auto ep = "ipc://" + (dir / "coordinator").string();
  recorder at_router, at_dealer;
  at_router.reply = [](gateway_io& io, const received& r) {
    io.send(r.socket, r.routing_id, "echo " + r.frame);
  };
  gateway router(router_on(ep), at_router);
  router.start();
  BOOST_TEST(router.endpoint(0) == ep);
  gateway dealer(dealer_to(ep), at_dealer);
  dealer.start();
  dealer.post(0, "", "over ipc");
  BOOST_TEST_REQUIRE(at_dealer.wait_for_count(1));
  BOOST_TEST(at_dealer.frames().at(0).frame == "echo over ipc");
}

BOOST_AUTO_TEST_CASE(a_multipart_message_counts_its_parts_and_an_empty_one_arrives_empty) {
  recorder at_router;
  gateway router(router_on("tcp://127.0.0.1:*"), at_router);
  router.start();

  zmq::context_t ctx(1);
  zmq::socket_t raw(ctx, zmq::socket_type::dealer);
  raw.set(zmq::sockopt::linger, 0);
  raw.set(zmq::sockopt::rcvtimeo, 10000);
  raw.connect(router.endpoint(0));
  raw.send(zmq::buffer(std::string_view("a")), zmq::send_flags::sndmore);
  raw.send(zmq::buffer(std::string_view("bb")), zmq::send_flags::none);
  raw.send(zmq::message_t(), zmq::send_flags::none);

  BOOST_TEST_REQUIRE(at_router.wait_for_count(2));
  const auto got = at_router.frames();
  BOOST_TEST(got[0].parts == 2u);
  BOOST_TEST(got[0].frame == "a");
  BOOST_TEST(got[1].parts == 1u);
  BOOST_TEST(got[1].frame.empty());
  BOOST_TEST(router.counters().frames_in == 2u);
  BOOST_TEST(router.counters().bytes_in == 3u);

  router.post(0, got[0].routing_id, "answer");
  zmq::message_t answer;
  BOOST_TEST_REQUIRE(raw.recv(answer).has_value());
  BOOST_TEST(answer.to_string() == "answer");
  BOOST_TEST(!answer.more());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(failures)

BOOST_AUTO_TEST_CASE(a_frame_for_an_unknown_peer_is_dropped_and_counted) {
  recorder at_router, at_dealer;
  std::atomic<int> ghost_sent{-1};
  at_router.reply = [&](gateway_io& io, const received& r) {
    if (r.frame != "probe") return;
    ghost_sent = io.send(0, "ghost", "lost") ? 1 : 0;
    io.send(0, r.routing_id, "after the ghost");
  };
  gateway router(router_on("tcp://127.0.0.1:*"), at_router);
  router.start();
  gateway dealer(dealer_to(router.endpoint(0)), at_dealer);
  dealer.start();

  dealer.post(0, "", "probe");
  BOOST_TEST_REQUIRE(at_dealer.wait_for_count(1));
  BOOST_TEST(at_dealer.frames().at(0).frame == "after the ghost");
  BOOST_TEST(ghost_sent.load() == 0);
  BOOST_TEST(router.counters().unreachable == 1u);

  router.post(0, "another ghost", "lost too");
  BOOST_TEST(eventually([&] { return router.counters().unreachable == 2u; }));

  // The socket is no worse for it.
  dealer.post(0, "", "still here");
  BOOST_TEST_REQUIRE(at_router.wait_for_count(2));
  BOOST_TEST(at_router.frames().at(1).frame == "still here");
  BOOST_TEST(router.counters().frames_out == 1u);
}

BOOST_AUTO_TEST_CASE(binding_an_endpoint_in_use_throws_naming_it) {
  recorder r1, r2;
  gateway first(router_on("tcp://127.0.0.1:*"), r1);
  first.start();
  const auto ep = first.endpoint(0);
  gateway second(router_on(ep), r2);
  BOOST_CHECK_EXCEPTION(second.start(), std::runtime_error, [&](const std::runtime_error& e) {
    const std::string what = e.what();
    BOOST_TEST_MESSAGE("bind refused: " << what);
    return what.starts_with("cannot bind " + ep + ": ") && what.size() > ep.size() + 14;
  });
  // A gateway whose start failed can still be stopped, twice.
  second.stop();
  second.stop();
}

BOOST_AUTO_TEST_CASE(a_malformed_endpoint_throws_naming_it) {
  recorder r;
  gateway g(dealer_to("nonsense://where"), r);
  BOOST_CHECK_EXCEPTION(g.start(), std::runtime_error, [](const std::runtime_error& e) {
    return std::string(e.what()).starts_with("cannot connect nonsense://where: ");
  });
}

BOOST_AUTO_TEST_CASE(a_throwing_handler_is_counted_and_the_thread_goes_on) {
  recorder at_router, at_dealer;
  at_router.reply = [](gateway_io&, const received& r) {
    if (r.frame == "boom") throw std::runtime_error("the handler broke");
  };
  gateway router(router_on("tcp://127.0.0.1:*"), at_router);
  router.start();
  gateway dealer(dealer_to(router.endpoint(0)), at_dealer);
  dealer.start();
  dealer.post(0, "", "boom");
  dealer.post(0, "", "boom");
  dealer.post(0, "", "after");
  BOOST_TEST_REQUIRE(at_router.wait_for_count(3));
  BOOST_TEST(at_router.frames().at(2).frame == "after");
  BOOST_TEST(router.counters().handler_errors == 2u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(reconnection)

BOOST_AUTO_TEST_CASE(a_dealer_finds_a_router_that_comes_late_and_one_that_restarts) {
  const auto ep = free_tcp_endpoint();
  recorder at_dealer;
  gateway dealer(dealer_to(ep), at_dealer);
  dealer.start();
  dealer.post(0, "", "early");
  // Long enough for a few failed connection attempts.
  std::this_thread::sleep_for(300ms);

  {
    recorder at_router;
    gateway router(router_on(ep), at_router);
    router.start();
    BOOST_TEST_REQUIRE(at_router.wait_for_count(1));
    BOOST_TEST(at_router.frames().at(0).frame == "early");
    router.post(0, at_router.frames().at(0).routing_id, "found you");
    BOOST_TEST_REQUIRE(at_dealer.wait_for_count(1));
    BOOST_TEST(at_dealer.frames().at(0).frame == "found you");
  }

  // A new router on the same endpoint: the dealer reconnects by itself. Frames sent while it
  // was away may be lost with the old connection, so it keeps sending until one arrives.
  recorder at_new_router;
  gateway new_router(router_on(ep), at_new_router);
  new_router.start();
  const auto deadline = std::chrono::steady_clock::now() + patience;
  int sent = 0;
  while (at_new_router.frames().empty() && std::chrono::steady_clock::now() < deadline) {
    dealer.post(0, "", "ping " + std::to_string(sent++));
    std::this_thread::sleep_for(50ms);
  }
  const auto got = at_new_router.frames();
  BOOST_TEST_REQUIRE(!got.empty());
  BOOST_TEST(got.at(0).frame.starts_with("ping "));
  new_router.post(0, got.at(0).routing_id, "welcome back");
  BOOST_TEST_REQUIRE(at_dealer.wait_for_count(2));
  BOOST_TEST(at_dealer.frames().at(1).frame == "welcome back");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(backlog)

BOOST_AUTO_TEST_CASE(frames_for_a_peer_that_does_not_read_wait_and_arrive_in_order) {
  constexpr int n = 200;
  temp_dir dir;
  const auto ep = "ipc://" + (dir / "slow").string();
  recorder at_router;
  gateway router(router_on(ep, 1), at_router);
  router.start();

  zmq::context_t ctx(1);
  zmq::socket_t slow(ctx, zmq::socket_type::dealer);
  slow.set(zmq::sockopt::linger, 0);
  slow.set(zmq::sockopt::rcvhwm, 1);
  slow.set(zmq::sockopt::rcvtimeo, 10000);
  slow.connect(ep);
  slow.send(zmq::buffer(std::string_view("hello")), zmq::send_flags::none);
  BOOST_TEST_REQUIRE(at_router.wait_for_count(1));
  const auto rid = at_router.frames().at(0).routing_id;

  // Far more than the socket buffers hold, so the router's queue for the peer fills up.
  const std::string padding(64 * 1024, 'x');
  for (int i = 0; i < n; ++i) router.post(0, rid, std::to_string(i) + " " + padding);
  BOOST_TEST_REQUIRE(eventually([&] { return router.counters().backlog_now > 0u; }));
  BOOST_TEST(router.counters().backlogged > 0u);
  BOOST_TEST(router.counters().unreachable == 0u);

  for (int i = 0; i < n; ++i) {
    zmq::message_t m;
    BOOST_TEST_REQUIRE(slow.recv(m).has_value());
    const auto text = m.to_string();
    BOOST_TEST_REQUIRE(text == std::to_string(i) + " " + padding);
  }
  BOOST_TEST(eventually([&] { return router.counters().backlog_now == 0u; }));
  BOOST_TEST(router.counters().frames_out == static_cast<std::uint64_t>(n));
}

namespace {

// A raw DEALER that reads only when told, with the smallest receive queue ZeroMQ allows.
struct lazy_peer {
  zmq::socket_t socket;
  std::string routing_id;

  lazy_peer(zmq::context_t& ctx, const std::string& ep, recorder& at_router, std::size_t seen) {
    socket = zmq::socket_t(ctx, zmq::socket_type::dealer);
    socket.set(zmq::sockopt::linger, 0);
    socket.set(zmq::sockopt::rcvhwm, 1);
    socket.set(zmq::sockopt::rcvtimeo, 10000);
    socket.connect(ep);
    socket.send(zmq::buffer(std::string_view("hello")), zmq::send_flags::none);
    if (!at_router.wait_for_count(seen + 1)) throw std::runtime_error("no hello from the peer");
    routing_id = at_router.frames().at(seen).routing_id;
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(a_peer_that_does_not_read_holds_up_no_other_peer) {
  temp_dir dir;
  const auto ep = "ipc://" + (dir / "two").string();
  recorder at_router;
  gateway router(router_on(ep, 1), at_router);
  router.start();
  zmq::context_t ctx(1);
  lazy_peer slow(ctx, ep, at_router, 0);
  lazy_peer fast(ctx, ep, at_router, 1);

  const std::string padding(64 * 1024, 'x');
  for (int i = 0; i < 200; ++i) router.post(0, slow.routing_id, padding);
  BOOST_TEST_REQUIRE(eventually([&] { return router.counters().backlog_now > 0u; }));
  for (int i = 0; i < 20; ++i) {
    router.post(0, fast.routing_id, std::to_string(i));
    zmq::message_t m;
    BOOST_TEST_REQUIRE(fast.socket.recv(m).has_value());
    BOOST_TEST_REQUIRE(m.to_string() == std::to_string(i));
  }
  BOOST_TEST(router.counters().backlog_now > 0u);
}

BOOST_AUTO_TEST_CASE(the_backlog_of_a_peer_that_leaves_is_dropped_and_counted) {
  temp_dir dir;
  const auto ep = "ipc://" + (dir / "leaving").string();
  recorder at_router;
  gateway router(router_on(ep, 1), at_router);
  router.start();
  zmq::context_t ctx(1);
  auto peer = std::make_unique<lazy_peer>(ctx, ep, at_router, 0);

  const std::string padding(64 * 1024, 'x');
  for (int i = 0; i < 200; ++i) router.post(0, peer->routing_id, padding);
  BOOST_TEST_REQUIRE(eventually([&] { return router.counters().backlog_now > 0u; }));
  peer.reset();
  BOOST_TEST_REQUIRE(eventually([&] { return router.counters().backlog_now == 0u; }));
  const auto c = router.counters();
  BOOST_TEST(c.unreachable > 0u);
  BOOST_TEST(c.frames_out + c.unreachable == 200u);
}

BOOST_AUTO_TEST_CASE(the_backlog_of_a_peer_that_reads_nothing_is_capped_and_the_handler_told) {
  temp_dir dir;
  const auto ep = "ipc://" + (dir / "capped").string();
  recorder at_router;
  std::mutex mutex;
  std::vector<std::string> overflowed;
  at_router.overflow = [&](std::size_t, const std::string& id) {
    std::lock_guard lock(mutex);
    overflowed.push_back(id);
  };
  auto spec = router_on(ep, 1);
  spec[0].max_backlog_bytes = 1u << 20;
  gateway router(spec, at_router);
  router.start();
  zmq::context_t ctx(1);
  lazy_peer slow(ctx, ep, at_router, 0);
  lazy_peer fast(ctx, ep, at_router, 1);

  // 12.5 MiB for a peer that reads nothing: far past the 1 MiB cap.
  const std::string padding(64 * 1024, 'x');
  for (int i = 0; i < 200; ++i) router.post(0, slow.routing_id, padding);
  BOOST_TEST_REQUIRE(eventually([&] { return router.counters().overflowed > 0u; }));
  BOOST_TEST(eventually([&] {
    std::lock_guard lock(mutex);
    return !overflowed.empty();
  }));
  {
    std::lock_guard lock(mutex);
    BOOST_TEST(overflowed.front() == slow.routing_id);
  }
  // Never more than the cap's worth waits: 1 MiB is 15 frames of 64 KiB and their overhead.
  BOOST_TEST(router.counters().backlog_now <= 16u);
  // Another peer is served all along.
  router.post(0, fast.routing_id, "still here");
  zmq::message_t m;
  BOOST_TEST_REQUIRE(fast.socket.recv(m).has_value());
  BOOST_TEST(m.to_string() == "still here");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(lifecycle)

BOOST_AUTO_TEST_CASE(the_handler_ticks_without_traffic) {
  recorder r;
  gateway g(router_on("tcp://127.0.0.1:*"), r, 10ms);
  g.start();
  BOOST_TEST(eventually([&] { return r.ticks.load() >= 3; }));
}

BOOST_AUTO_TEST_CASE(the_first_tick_comes_as_the_thread_starts_not_a_tick_later) {
  // A dealer's link says hello on its first tick: with an hour-long tick, only a tick at start
  // lets the handler run before the patience runs out.
  recorder r;
  gateway g(router_on("tcp://127.0.0.1:*"), r, std::chrono::hours(1));
  g.start();
  BOOST_TEST(eventually([&] { return r.ticks.load() >= 1; }));
  BOOST_TEST(r.ticks.load() == 1);
}

BOOST_AUTO_TEST_CASE(stop_does_not_wait_for_the_tick_and_is_idempotent) {
  recorder r;
  gateway g(router_on("tcp://127.0.0.1:*"), r, 60s);
  g.start();
  const auto begun = std::chrono::steady_clock::now();
  g.stop();
  // Generous on a loaded machine, and still far below the minute a tick-bound stop would take.
  BOOST_TEST((std::chrono::steady_clock::now() - begun < 10s));
  g.stop();
  g.post(0, "late", "dropped");  // after stop: dropped, no crash
  BOOST_TEST(g.counters().frames_out == 0u);
  BOOST_CHECK_THROW(g.start(), std::logic_error);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(throughput)

// Each frame the dealer gets goes straight back; the router side counts the echoes.
class echo final : public gateway_handler {
 public:
  void on_frame(gateway_io& io, std::size_t socket, const std::string&, std::string_view frame,
                std::size_t) override {
    io.send(socket, "", std::string(frame));
  }
  void on_tick(gateway_io&, std::chrono::steady_clock::time_point) override {}
};

class echo_counter final : public gateway_handler {
 public:
  std::atomic<std::uint64_t> echoes{0};
  std::string routing_id;  // read after the first echo only
  std::atomic<bool> known{false};

  void on_frame(gateway_io&, std::size_t, const std::string& rid, std::string_view,
                std::size_t) override {
    if (!known.load()) {
      routing_id = rid;
      known = true;
    }
    ++echoes;
  }
  void on_tick(gateway_io&, std::chrono::steady_clock::time_point) override {}
};

BOOST_AUTO_TEST_CASE(round_trips_through_router_and_dealer) {
  constexpr std::uint64_t n = 100000;
  constexpr std::uint64_t window = 1000;
  echo_counter at_router;
  echo at_dealer;
  gateway router(router_on("tcp://127.0.0.1:*"), at_router);
  router.start();
  gateway dealer(dealer_to(router.endpoint(0)), at_dealer);
  dealer.start();
  // The dealer says something first, so the router learns its routing id.
  dealer.post(0, "", "hello");
  BOOST_TEST_REQUIRE(eventually([&] { return at_router.known.load(); }));
  const auto rid = at_router.routing_id;
  const std::string frame(32, 'f');

  const auto begun = std::chrono::steady_clock::now();
  const auto deadline = begun + 60s;
  std::uint64_t sent = 0;
  while (sent < n && std::chrono::steady_clock::now() < deadline) {
    const auto outstanding = sent - (at_router.echoes.load() - 1);
    // Top up when half the window has come back, and sleep otherwise: a spinning test thread
    // would take a core from the two I/O threads it measures.
    if (outstanding > window / 2) {
      std::this_thread::sleep_for(100us);
      continue;
    }
    const auto room = std::min(window - outstanding, n - sent);
    for (std::uint64_t i = 0; i < room; ++i) router.post(0, rid, frame);
    sent += room;
  }
  BOOST_TEST_REQUIRE(eventually([&] { return at_router.echoes.load() == n + 1; }));
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - begun;
  BOOST_TEST_MESSAGE("round trips: " << n << " frames of " << frame.size() << " bytes, window "
                                     << window << ", in " << took.count() << " s: "
                                     << static_cast<double>(n) / took.count() << " frames/s");
  BOOST_TEST(router.counters().frames_out == n);
  BOOST_TEST(router.counters().unreachable == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
