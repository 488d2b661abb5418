#define BOOST_TEST_MODULE loopback_endpoint
#include <boost/test/unit_test.hpp>

#include "nodes/loopback_endpoint.hpp"

using parallm::nodes::is_loopback_endpoint;

BOOST_AUTO_TEST_CASE(loopback_addresses_and_local_transports_stay_on_this_host) {
  for (const auto* endpoint :
       {"tcp://127.0.0.1:5555", "tcp://127.0.0.1:*", "tcp://127.1.2.3:80", "tcp://localhost:5555",
        "tcp://[::1]:5555", "ipc:///tmp/parallm.sock", "inproc://test"}) {
    BOOST_TEST(is_loopback_endpoint(endpoint), endpoint);
  }
}

BOOST_AUTO_TEST_CASE(wildcards_other_addresses_and_names_do_not) {
  for (const auto* endpoint :
       {"tcp://*:5555", "tcp://0.0.0.0:5555", "tcp://10.0.0.5:5555", "tcp://[::]:5555",
        "tcp://eth0:5555", "tcp://coordinator.example:5555", "tcp://128.0.0.1:5555",
        "tcp://127.0.0.1.example:5555", "tcp://127.0.0.1;10.0.0.5:5555", "tcp://127.0.0.1",
        "udp://127.0.0.1:5555", "", "tcp://localhost.evil:5555", "tcp://[::1]x:5555"}) {
    BOOST_TEST(!is_loopback_endpoint(endpoint), endpoint);
  }
}
