#include "support/fake_upstream.hpp"

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace parallm::test {
namespace {

constexpr const char* nginx_binary = "/usr/sbin/nginx";
constexpr auto startup_limit = std::chrono::seconds(5);
constexpr int start_attempts = 3;

sockaddr_in loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

class socket_fd {
 public:
  socket_fd() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {}
  ~socket_fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  socket_fd(const socket_fd&) = delete;
  socket_fd& operator=(const socket_fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string replace_all(std::string text, std::string_view from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

std::optional<plain_response> parse_response(const std::string& raw) {
  // "HTTP/1.1 200 OK\r\n...\r\n\r\nbody"
  const auto space = raw.find(' ');
  const auto head_end = raw.find("\r\n\r\n");
  if (space == std::string::npos || head_end == std::string::npos) return std::nullopt;
  plain_response response;
  response.status = std::atoi(raw.c_str() + space + 1);
  response.body = raw.substr(head_end + 4);
  return response;
}

std::uint64_t number_after(const std::string& text, std::size_t& at) {
  while (at < text.size() && (text[at] < '0' || text[at] > '9')) ++at;
  std::uint64_t value = 0;
  while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
    value = value * 10 + static_cast<std::uint64_t>(text[at++] - '0');
  }
  return value;
}

}  // namespace

int pick_free_port() {
  socket_fd probe;
  if (probe.get() < 0) throw std::runtime_error("socket() failed");
  auto address = loopback(0);
  if (::bind(probe.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    throw std::runtime_error("bind() to 127.0.0.1:0 failed");
  }
  socklen_t length = sizeof address;
  ::getsockname(probe.get(), reinterpret_cast<sockaddr*>(&address), &length);
  return ntohs(address.sin_port);
}

fake_upstream::fake_upstream(fake_upstream_options options) : options_(options) {
  if (options_.tls) make_certificate();
  // Another process can take the port between pick_free_port and nginx's bind: try again.
  for (int attempt = 0; attempt < start_attempts; ++attempt) {
    if (start(pick_free_port())) return;
  }
  throw std::runtime_error("fake upstream: nginx did not start: " +
                           read_file(run_dir_ / "error.log"));
}

fake_upstream::~fake_upstream() {
  stop();
}

bool fake_upstream::start(int port) {
  std::filesystem::path conf = PARALLM_TEST_UPSTREAM_CONF;
  auto text = replace_all(read_file(conf), "@PORT@", std::to_string(port));
  if (options_.tls) {
    tls_port_ = pick_free_port();
    text = replace_all(std::move(text), "#@TLS@",
                       "listen 127.0.0.1:" + std::to_string(tls_port_) +
                           " ssl;\n        ssl_certificate @RUNDIR@/tls.crt;\n"
                           "        ssl_certificate_key @RUNDIR@/tls.key;");
  }
  text = replace_all(std::move(text), "@RUNDIR@", run_dir_.path().string());
  write_file(run_dir_ / "nginx.conf", text);
  // One process: nothing is left behind when it is killed.
  nginx_ = std::make_unique<child_process>(
      std::vector<std::string>{
          nginx_binary, "-p", run_dir_.path().string(), "-c", (run_dir_ / "nginx.conf").string(),
          "-e", (run_dir_ / "error.log").string(), "-g", "daemon off; master_process off;"},
      run_dir_.path());
  port_ = port;
  const auto deadline = std::chrono::steady_clock::now() + startup_limit;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto health = get("/health");
    if (health && health->status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  stop();
  return false;
}

void fake_upstream::stop() {
  if (!nginx_) return;
  nginx_->signal(SIGTERM);
  nginx_->wait(std::chrono::seconds(5));
  nginx_.reset();
}

void fake_upstream::make_certificate() {
  const auto made =
      run_process({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                   "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                   "-addext", "subjectAltName=IP:127.0.0.1", "-keyout",
                   (run_dir_ / "tls.key").string(), "-out", certificate().string()},
                  run_dir_.path(), std::nullopt, std::chrono::seconds(30));
  if (made.exit_code != 0) {
    throw std::runtime_error("fake upstream: openssl could not make a certificate: " + made.err);
  }
}

std::string fake_upstream::tls_base_url(std::string_view path_prefix) const {
  return "https://127.0.0.1:" + std::to_string(tls_port_) + std::string(path_prefix);
}

std::string fake_upstream::base_url(std::string_view path_prefix) const {
  return "http://127.0.0.1:" + std::to_string(port_) + std::string(path_prefix);
}

std::optional<plain_response> fake_upstream::get(std::string_view path) const {
  socket_fd connection;
  if (connection.get() < 0) return std::nullopt;
  timeval limit{2, 0};
  ::setsockopt(connection.get(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  ::setsockopt(connection.get(), SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  auto address = loopback(port_);
  if (::connect(connection.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    return std::nullopt;
  }
  const std::string request = "GET " + std::string(path) + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  if (::send(connection.get(), request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    return std::nullopt;
  }
  std::string raw;
  char buffer[4096];
  while (true) {
    const auto got = ::recv(connection.get(), buffer, sizeof buffer, 0);
    if (got < 0) return std::nullopt;
    if (got == 0) break;
    raw.append(buffer, static_cast<std::size_t>(got));
  }
  return parse_response(raw);
}

upstream_counters fake_upstream::counters() const {
  // "Active connections: 1 \nserver accepts handled requests\n 14 14 14 \n..."
  const auto status = get("/stub_status");
  if (!status || status->status != 200) throw std::runtime_error("fake upstream: no stub_status");
  const auto& text = status->body;
  auto at = text.find("requests");
  if (at == std::string::npos) throw std::runtime_error("fake upstream: bad stub_status");
  upstream_counters counters;
  counters.accepted_connections = number_after(text, at);
  number_after(text, at);
  counters.requests = number_after(text, at);
  return counters;
}

}  // namespace parallm::test
