#pragma once
// How a process names itself to a coordinator.

#include <string>

namespace parallm::cli {

// This machine's host name, or "unknown".
std::string host_name();

// A fresh id for a client session: 16 hex digits, printable, never starting with a zero byte
// (ZeroMQ reserves those routing ids).
std::string new_client_id();

}  // namespace parallm::cli
