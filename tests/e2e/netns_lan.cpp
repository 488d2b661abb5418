#include "netns_lan.hpp"

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include <unistd.h>

#include "support/process.hpp"

namespace parallm::test {
namespace {

// `ip ARGS...`; the result's err holds ip's reason when it fails.
process_result ip(const std::vector<std::string>& args) {
  temp_dir dir;
  std::vector<std::string> argv{ip_executable()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv, dir.path(), std::nullopt, std::chrono::seconds(30));
}

void must(const std::vector<std::string>& args) {
  const auto result = ip(args);
  if (result.exit_code != 0) {
    std::string line = "ip";
    for (const auto& a : args) line += " " + a;
    throw std::runtime_error(line + ": " + result.err);
  }
}

std::string prefix() {
  return "parallm-" + std::to_string(::getpid()) + "-";
}

}  // namespace

std::string ip_executable() {
  for (const char* path : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"}) {
    if (::access(path, X_OK) == 0) return path;
  }
  return {};
}

std::string netns_unavailable_reason() {
  if (::geteuid() != 0) return "network namespaces need root (this test runs as a user)";
  if (ip_executable().empty()) return "iproute2's `ip` is not installed";
  const auto probe = prefix() + "probe";
  ip({"netns", "del", probe});
  const auto added = ip({"netns", "add", probe});
  if (added.exit_code != 0) return "`ip netns add` fails here: " + added.err;
  ip({"netns", "del", probe});
  return {};
}

netns_lan::netns_lan(const std::vector<std::string>& hosts, const std::string& subnet)
    : hosts_(hosts), subnet_(subnet) {
  for (const auto& host : hosts_) names_.push_back(prefix() + host);
  remove();
  try {
    for (const auto& name : names_) {
      must({"netns", "add", name});
      must({"-n", name, "link", "set", "lo", "up"});
    }
    // The bridge lives in the first host's namespace, so no interface of the LAN is in the
    // machine's own namespace: its routes and firewall never see this traffic.
    const auto& hub = names_.front();
    must({"-n", hub, "link", "add", "br0", "type", "bridge"});
    must({"-n", hub, "addr", "add", address(hosts_.front()) + "/24", "dev", "br0"});
    must({"-n", hub, "link", "set", "br0", "up"});
    for (std::size_t i = 1; i < names_.size(); ++i) {
      const auto port = "p" + std::to_string(i);
      must({"-n", hub, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns",
            names_[i]});
      must({"-n", hub, "link", "set", port, "master", "br0"});
      must({"-n", hub, "link", "set", port, "up"});
      must({"-n", names_[i], "addr", "add", address(hosts_[i]) + "/24", "dev", "eth0"});
      must({"-n", names_[i], "link", "set", "eth0", "up"});
    }
  } catch (...) {
    remove();
    throw;
  }
}

netns_lan::~netns_lan() {
  remove();
}

void netns_lan::remove() {
  // A veth goes with either of its namespaces, the bridge with the first one.
  for (const auto& name : names_) ip({"netns", "del", name});
}

std::size_t netns_lan::index(const std::string& host) const {
  const auto at = std::find(hosts_.begin(), hosts_.end(), host);
  if (at == hosts_.end()) throw std::invalid_argument("no host " + host + " on this LAN");
  return static_cast<std::size_t>(at - hosts_.begin());
}

const std::string& netns_lan::ns(const std::string& host) const {
  return names_[index(host)];
}

std::string netns_lan::address(const std::string& host) const {
  const auto i = index(host);
  return subnet_ + "." + std::to_string(i == 0 ? 1 : 10 + i);
}

std::vector<std::string> netns_lan::exec(const std::string& host,
                                         std::vector<std::string> argv) const {
  argv.insert(argv.begin(), {ip_executable(), "netns", "exec", ns(host)});
  return argv;
}

std::vector<std::string> namespaces_of_this_process() {
  std::vector<std::string> left;
  std::istringstream listed(ip({"netns", "list"}).out);
  std::string line;
  while (std::getline(listed, line)) {
    const auto name = line.substr(0, line.find(' '));
    if (name.starts_with(prefix())) left.push_back(name);
  }
  return left;
}

}  // namespace parallm::test
