#pragma once
// A real HTTP server on 127.0.0.1 that speaks the OpenAI chat-completions and Anthropic
// messages APIs, for the project's own tests: Debian's nginx with the echo module, run from
// tests/upstream/nginx.conf.in on a free port, started and stopped with the object. The paths
// it serves (delays, 429s, flaky 500s, malformed JSON, closed connections, echoed headers) are
// listed at the top of the template.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "support/process.hpp"

namespace parallm::test {

// nginx's own counters (stub_status); reading them is itself one request.
struct upstream_counters {
  std::uint64_t accepted_connections = 0;
  std::uint64_t requests = 0;
};

struct plain_response {
  int status = 0;
  std::string body;
};

struct fake_upstream_options {
  // Also serve every path over HTTPS, with a self-signed certificate for 127.0.0.1 made for
  // this server (openssl), so a client verifies it only when given that certificate.
  bool tls = false;
};

class fake_upstream {
 public:
  // Throws std::runtime_error, with nginx's error log, when nginx does not come up.
  explicit fake_upstream(fake_upstream_options options = {});
  ~fake_upstream();
  fake_upstream(const fake_upstream&) = delete;
  fake_upstream& operator=(const fake_upstream&) = delete;

  int port() const { return port_; }
  // "http://127.0.0.1:PORT" followed by path_prefix, e.g. base_url("/flaky/v1").
  std::string base_url(std::string_view path_prefix = "") const;
  // With tls: "https://127.0.0.1:TLS_PORT" followed by path_prefix, and the certificate (PEM)
  // that verifies it.
  std::string tls_base_url(std::string_view path_prefix = "") const;
  std::filesystem::path certificate() const { return run_dir_ / "tls.crt"; }
  upstream_counters counters() const;
  // A GET with a fresh connection; nullopt when the server does not answer.
  std::optional<plain_response> get(std::string_view path) const;

 private:
  bool start(int port);
  void stop();

  void make_certificate();

  fake_upstream_options options_;
  temp_dir run_dir_;
  int port_ = 0;
  int tls_port_ = 0;
  std::unique_ptr<child_process> nginx_;
};

// A port that was free a moment ago: bound on 127.0.0.1 with port 0, then released.
int pick_free_port();

}  // namespace parallm::test
