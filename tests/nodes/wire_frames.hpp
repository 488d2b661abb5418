#pragma once
// Frames for the wire codec's tests: one sample message of every command, and hand-written
// frames for the ones a correct sender would never produce.

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <msgpack.hpp>

#include "nodes/wire_codec.hpp"

namespace parallm::nodes::test {

using packer = msgpack::packer<msgpack::sbuffer>;

inline call_profile sample_profile() {
  call_profile p;
  p.endpoint.kind = config::provider_kind::openai;
  p.endpoint.base_url = "http://gpu-3:8000/v1";
  p.endpoint.model = "llama-3-8b";
  p.endpoint.api_key_env = "VLLM_KEY";
  p.endpoint.anthropic_version = "2023-06-01";
  p.endpoint.require_content = true;
  p.endpoint.supports_n = true;
  p.endpoint.ca_file = "/etc/ca.pem";
  p.endpoint.sim.latency_ms = 12.5;
  p.endpoint.sim.jitter_ms = 2;
  p.endpoint.sim.fail_rate = 0.25;
  p.endpoint.sim.fail_status = config::sim_failure::timeout;
  p.endpoint.sim.choices = {"yes", "no"};
  p.endpoint.sim.weights = {0.75, 0.25};
  p.endpoint.sim.seed = 42;
  p.endpoint.params = {{"top_p", 0.9}};
  p.temperature = 0.2;
  p.max_tokens = 256;
  p.params = {{"stop", {"\n"}}};
  p.passthrough = true;
  p.timeout_ms = 30000;
  return p;
}

inline wire_result sample_result() {
  wire_result r;
  r.key = {7, 3, 1234};
  r.attempt = 2;
  r.generation = 1;
  r.outcome.kind = providers::outcome_kind::retryable;
  r.outcome.text = "a completion";
  r.outcome.more_texts = {"second", "third"};
  r.outcome.error = "HTTP 429";
  r.outcome.finish_reason = "length";
  r.outcome.http_status = 429;
  r.outcome.prompt_tokens = 11;
  r.outcome.completion_tokens = 22;
  r.outcome.retry_after = std::chrono::milliseconds(1500);
  r.latency_ms = 81.25;
  r.rate.limit_requests = 500;
  r.rate.remaining_requests = 12;
  r.rate.reset_requests = std::chrono::milliseconds(6000);
  r.rate.remaining_tokens = 9000;
  r.rate.reset_requests_header = "anthropic-ratelimit-requests-reset";
  r.rate.reset_tokens_header = "anthropic-ratelimit-input-tokens-reset";
  return r;
}

// One message of every command, in command order, with no field left at its default.
inline std::vector<message> samples() {
  return {
      worker_hello{"w1", "gpu-3", 50},
      client_hello{"c-9f2", "laptop"},
      welcome{7, 1000, 3000, {1u << 20, 64, 1u << 16, 1u << 14}},
      heartbeat{7},
      credit{5, 64},
      batch_profiles{3, {sample_profile(), call_profile{}}},
      task_frame{{wire_task{{7, 3, 1}, 1, 2, 0, 2, "Say hi to {{name}}", "Be brief", 3},
                  wire_task{{7, 3, 2}, 4, 0, 1, 0, "", "", 1}}},
      result_frame{{sample_result(), wire_result{}}},
      submit{5,
             "jobs/joke.yaml",
             "version: 1\nname: joke\n",
             {"model=gpt-4o", "concurrency=8"},
             true,
             true,
             0x1234abcd5678ull},
      item_frame{5,
                 {input_line{0, 1, R"({"id":1})", ""},
                  input_line{1, 3, R"({"id":1})", "line 3: duplicate id 1"}},
                 true,
                 9},
      line_frame{5,
                 {item_line{0, R"({"id":1,"status":"ok"})", line_status::partial, 120, 45, 812345,
                            3, 5, 2}}},
      batch_done{5, 100, 2, "internal: store failed", "stopped: 20 calls failed alike"},
      status_request{},
      status_reply{{worker_status{"w1", "gpu-3", 50, 12, 1000, 3, 250}},
                   {batch_status{"c-9f2", "joke", 40, 100, 12.5}},
                   {counter{"workers.dropped.malformed", 3}}},
      refusal{command::items, 5, "no credit"},
  };
}

// A frame [version, command, body] whose body the test writes by hand.
template <class Body>
std::string frame(std::uint64_t version, std::uint64_t cmd, Body body) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> pk(buffer);
  pk.pack_array(3);
  pk.pack_uint64(version);
  pk.pack_uint64(cmd);
  body(pk);
  return std::string(buffer.data(), buffer.size());
}

inline decode_error error_of(const std::string& bytes, const wire_limits& limits = {}) {
  const auto r = decode(bytes, limits);
  BOOST_REQUIRE_MESSAGE(!r, "decoded what should have been refused");
  return r.error();
}

inline void pack_str(packer& pk, std::string_view s) {
  pk.pack_str(static_cast<std::uint32_t>(s.size()));
  pk.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
}

inline std::string packed_str(std::string_view s) {
  msgpack::sbuffer buffer;
  packer pk(buffer);
  pack_str(pk, s);
  return std::string(buffer.data(), buffer.size());
}

// The sample frame with one field of its body replaced: finds the field by its packed bytes.
inline std::string replace_once(std::string bytes, const std::string& from, const std::string& to) {
  const auto at = bytes.find(from);
  BOOST_REQUIRE(at != std::string::npos);
  return bytes.replace(at, from.size(), to);
}

// A frame of `cmd` whose body is written by `body`.
template <class Body>
decode_error body_error(command cmd, Body body) {
  return error_of(frame(protocol_version, static_cast<std::uint64_t>(cmd), body));
}

}  // namespace parallm::nodes::test
