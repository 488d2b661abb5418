#pragma once
// Whether binding a ZeroMQ endpoint exposes it beyond this host: a coordinator without CURVE
// refuses to bind anything else unless told --insecure.

#include <string_view>

namespace parallm::nodes {

// True for ipc:// and inproc:// endpoints and for tcp:// on 127.0.0.0/8, [::1] or localhost;
// false for everything else, including tcp://*:N, 0.0.0.0, interface names and host names.
bool is_loopback_endpoint(std::string_view endpoint);

}  // namespace parallm::nodes
