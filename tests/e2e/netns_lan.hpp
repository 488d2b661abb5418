#pragma once
// A private LAN of network namespaces for tests that need hosts with addresses of their own:
// one namespace per host, all on one bridge, with no default route and no interface in the
// machine's own namespace, so nothing a test sends can leave the LAN. Everything is made on
// construction and removed on destruction, also when the test fails.

#include <string>
#include <vector>

namespace parallm::test {

// The `ip` executable (iproute2), or empty when it is not installed.
std::string ip_executable();

// Why namespaces cannot be made here (not root, no iproute2, a kernel that refuses), or empty
// when they can: made by trying to add one and removing it.
std::string netns_unavailable_reason();

// The namespaces `ip netns list` shows that a netns_lan of this process named.
std::vector<std::string> namespaces_of_this_process();

class netns_lan {
 public:
  // Namespaces named "parallm-PID-HOST" for each of `hosts`; hosts[0] holds the bridge and
  // gets subnet + ".1", hosts[i] subnet + "." + (10 + i) (subnet like "10.77.0", a /24).
  // Leftovers of an earlier run of the same pid are removed first. Throws std::runtime_error
  // with `ip`'s message when a step fails, after removing what it made.
  netns_lan(const std::vector<std::string>& hosts, const std::string& subnet);
  ~netns_lan();
  netns_lan(const netns_lan&) = delete;
  netns_lan& operator=(const netns_lan&) = delete;

  const std::string& ns(const std::string& host) const;
  std::string address(const std::string& host) const;
  // argv that runs `argv` inside the host's namespace.
  std::vector<std::string> exec(const std::string& host, std::vector<std::string> argv) const;

 private:
  void remove();
  std::size_t index(const std::string& host) const;

  std::vector<std::string> hosts_;
  std::vector<std::string> names_;
  std::string subnet_;
};

}  // namespace parallm::test
