#define BOOST_TEST_MODULE wire_codec
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <msgpack.hpp>

#include "nodes/wire_codec.hpp"

using namespace parallm;
using namespace parallm::nodes;

namespace {

call_profile sample_profile() {
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

wire_result sample_result() {
  wire_result r;
  r.key = {7, 3, 1234};
  r.attempt = 2;
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
std::vector<message> samples() {
  return {
      worker_hello{"w1", "gpu-3", 50},
      client_hello{"c-9f2", "laptop"},
      welcome{7, 1000, 3000},
      heartbeat{7},
      credit{5, 64},
      batch_profiles{3, {sample_profile(), call_profile{}}},
      task_frame{{wire_task{{7, 3, 1}, 1, 0, 2, "Say hi to {{name}}", "Be brief", 3},
                  wire_task{{7, 3, 2}, 4, 1, 0, "", "", 1}}},
      result_frame{{sample_result(), wire_result{}}},
      submit{5, "jobs/joke.yaml", "version: 1\nname: joke\n"},
      item_frame{5, {input_line{0, 1, R"({"id":1})"}, input_line{1, 3, R"({"id":2})"}}, true, 9},
      line_frame{5, {item_line{0, R"({"id":1,"status":"ok"})"}}},
      batch_done{5, 100, 2, "stopped: 20 calls failed alike"},
      status_request{},
      status_reply{{worker_status{"w1", "gpu-3", 50, 12, 1000, 3, 250}},
                   {batch_status{"c-9f2", "joke", 40, 100, 12.5}}},
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

using packer = msgpack::packer<msgpack::sbuffer>;

decode_error error_of(const std::string& bytes, const wire_limits& limits = {}) {
  const auto r = decode(bytes, limits);
  BOOST_REQUIRE_MESSAGE(!r, "decoded what should have been refused");
  return r.error();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(round_trip)

BOOST_AUTO_TEST_CASE(every_command_decodes_to_what_was_encoded) {
  const auto all = samples();
  BOOST_TEST_REQUIRE(all.size() == command_count);
  for (std::size_t i = 0; i < all.size(); ++i) {
    BOOST_TEST_CONTEXT("command " << to_string(static_cast<command>(i))) {
      BOOST_TEST(static_cast<std::size_t>(command_of(all[i])) == i);
      const auto bytes = encode(all[i]);
      const auto r = decode(bytes);
      BOOST_TEST_REQUIRE(r.has_value());
      BOOST_TEST(r.value().index() == i);
      // Encoding is deterministic, so equal bytes mean every encoded field came back.
      BOOST_TEST(encode(r.value()) == bytes);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_profile_keeps_every_field) {
  const auto r = decode(encode(batch_profiles{3, {sample_profile()}}));
  BOOST_TEST_REQUIRE(r.has_value());
  const auto& p = std::get<batch_profiles>(r.value()).profiles.at(0);
  const auto want = sample_profile();
  BOOST_TEST((p.endpoint.kind == want.endpoint.kind));
  BOOST_TEST(p.endpoint.base_url == want.endpoint.base_url);
  BOOST_TEST(p.endpoint.api_key_env == "VLLM_KEY");
  BOOST_TEST(p.endpoint.require_content);
  BOOST_TEST(p.endpoint.supports_n);
  BOOST_TEST(p.endpoint.ca_file == want.endpoint.ca_file);
  BOOST_TEST((p.endpoint.sim.fail_status == config::sim_failure::timeout));
  BOOST_TEST(p.endpoint.sim.weights == want.endpoint.sim.weights);
  BOOST_TEST(p.endpoint.sim.seed == 42u);
  BOOST_TEST(p.endpoint.params == want.endpoint.params);
  BOOST_TEST(p.temperature.value() == 0.2);
  BOOST_TEST(p.max_tokens.value() == 256);
  BOOST_TEST(p.params == want.params);
  BOOST_TEST(p.passthrough);
  BOOST_TEST(p.timeout_ms == 30000u);
}

BOOST_AUTO_TEST_CASE(a_result_keeps_every_field) {
  const auto r = decode(encode(result_frame{{sample_result()}}));
  BOOST_TEST_REQUIRE(r.has_value());
  const auto& got = std::get<result_frame>(r.value()).results.at(0);
  BOOST_TEST((got.key == task_key{7, 3, 1234}));
  BOOST_TEST(got.attempt == 2u);
  BOOST_TEST((got.outcome.kind == providers::outcome_kind::retryable));
  BOOST_TEST(got.outcome.more_texts == std::vector<std::string>({"second", "third"}));
  BOOST_TEST(got.outcome.finish_reason == "length");
  BOOST_TEST(got.outcome.http_status == 429);
  BOOST_TEST(got.outcome.completion_tokens == 22u);
  BOOST_TEST(got.outcome.retry_after.value().count() == 1500);
  BOOST_TEST(got.latency_ms == 81.25);
  BOOST_TEST(got.rate.limit_requests.value() == 500);
  BOOST_TEST(!got.rate.limit_tokens);
  BOOST_TEST(got.rate.reset_requests.value().count() == 6000);
  BOOST_TEST(got.rate.reset_requests_header == "anthropic-ratelimit-requests-reset");
  BOOST_TEST(got.rate.reset_tokens_header == "anthropic-ratelimit-input-tokens-reset");
}

BOOST_AUTO_TEST_CASE(names_cover_every_command_and_error) {
  for (std::size_t i = 0; i < command_count; ++i) {
    BOOST_TEST(to_string(static_cast<command>(i)) != "unknown");
  }
  BOOST_TEST(to_string(decode_error::wrong_shape) == "wrong_shape");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(broken_frames)

BOOST_AUTO_TEST_CASE(every_truncation_of_every_command_is_malformed) {
  for (const auto& m : samples()) {
    const auto bytes = encode(m);
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      BOOST_TEST_CONTEXT(to_string(command_of(m)) << " cut at " << n) {
        BOOST_TEST((error_of(bytes.substr(0, n)) == decode_error::malformed));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(trailing_bytes_and_invalid_bytes_are_malformed) {
  BOOST_TEST((error_of(encode(heartbeat{1}) + '\x00') == decode_error::malformed));
  BOOST_TEST((error_of(std::string("\xc1", 1)) == decode_error::malformed));
  BOOST_TEST((error_of("") == decode_error::malformed));
  // A value that is not a frame: a lone integer, an empty array, a version that is text.
  BOOST_TEST((error_of(std::string("\x01", 1)) == decode_error::malformed));
  BOOST_TEST((error_of(std::string("\x90", 1)) == decode_error::malformed));
  BOOST_TEST((error_of(frame(1, 0, [](packer& pk) { pk.pack_array(0); }).replace(1, 1, "\xa1v")) ==
              decode_error::malformed));
}

BOOST_AUTO_TEST_CASE(seeded_garbage_never_crashes) {
  std::mt19937_64 rng(20261202);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<std::size_t> length(0, 300);
  std::size_t refused = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string bytes(length(rng), '\0');
    for (auto& c : bytes) c = static_cast<char>(byte(rng));
    const auto r = decode(bytes);
    if (!r) ++refused;
  }
  BOOST_TEST(refused == 20000u);
}

BOOST_AUTO_TEST_CASE(mutated_frames_decode_or_are_refused) {
  std::mt19937_64 rng(7);
  const auto all = samples();
  std::size_t decoded = 0;
  for (int i = 0; i < 20000; ++i) {
    auto bytes = encode(all[rng() % all.size()]);
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) bytes[rng() % bytes.size()] = static_cast<char>(rng());
    const auto r = decode(bytes);
    if (r) {
      ++decoded;
      // Whatever decoded is a well-formed message again.
      BOOST_TEST_REQUIRE(decode(encode(r.value())).has_value());
    }
  }
  BOOST_TEST_MESSAGE(decoded << " of 20000 mutated frames still decoded");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(limits)

BOOST_AUTO_TEST_CASE(a_frame_over_the_byte_cap_is_too_large) {
  wire_limits small;
  small.max_frame_bytes = 64;
  const auto bytes = encode(submit{1, "job.yaml", std::string(100, 'x')});
  BOOST_TEST((error_of(bytes, small) == decode_error::too_large));
  BOOST_TEST(decode(bytes).has_value());
}

BOOST_AUTO_TEST_CASE(a_string_over_its_cap_is_too_large) {
  wire_limits small;
  small.max_string_bytes = 99;
  BOOST_TEST((error_of(encode(submit{1, "job.yaml", std::string(100, 'x')}), small) ==
              decode_error::too_large));
  BOOST_TEST(decode(encode(submit{1, "job.yaml", std::string(99, 'x')}), small).has_value());
}

BOOST_AUTO_TEST_CASE(a_list_over_its_cap_is_too_large) {
  wire_limits small;
  small.max_items = 20;
  task_frame tasks;
  tasks.tasks.resize(21);
  BOOST_TEST((error_of(encode(tasks), small) == decode_error::too_large));
  tasks.tasks.resize(20);
  BOOST_TEST(decode(encode(tasks), small).has_value());
}

BOOST_AUTO_TEST_CASE(too_many_values_in_all_is_too_large) {
  wire_limits small;
  small.max_values = 1000;
  task_frame tasks;
  tasks.tasks.resize(200);  // 200 tasks of 7 fields and a 3-field key: ~2000 values
  BOOST_TEST((error_of(encode(tasks), small) == decode_error::too_large));
}

BOOST_AUTO_TEST_CASE(a_huge_declared_array_is_refused_before_allocating) {
  // With default msgpack limits these five bytes make unpack try to allocate 96 GiB.
  BOOST_TEST((error_of(std::string("\xdd\xff\xff\xff\xff", 5)) == decode_error::too_large));
  // A string's bytes must all be in the frame before anything is copied: its header alone is
  // a truncated frame.
  BOOST_TEST((error_of(std::string("\xdb\xff\xff\xff\xff", 5)) == decode_error::malformed));
  BOOST_TEST((error_of(std::string("\xdf\xff\xff\xff\xff", 5)) == decode_error::too_large));
  // Declared sizes inside a well-formed frame are checked the same way.
  const auto bytes =
      frame(protocol_version, static_cast<std::uint64_t>(command::tasks), [](packer& pk) {
        pk.pack_array(1);
        pk.pack_array(0xffffffffu);
      });
  BOOST_TEST((error_of(bytes) == decode_error::too_large));
}

BOOST_AUTO_TEST_CASE(nesting_bombs_are_too_large) {
  std::string bomb(100000, '\x91');
  bomb += '\xc0';
  BOOST_TEST((error_of(bomb) == decode_error::too_large));
  // One level deeper than any frame of the protocol.
  std::string deep(max_nesting + 1, '\x91');
  deep += '\xc0';
  BOOST_TEST((error_of(deep) == decode_error::too_large));
  // As deep as the protocol goes, but not a frame.
  std::string ok_depth(max_nesting, '\x91');
  ok_depth += '\xc0';
  BOOST_TEST((error_of(ok_depth) == decode_error::malformed));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(header)

BOOST_AUTO_TEST_CASE(another_version_is_unknown_version) {
  auto body = [](packer& pk) {
    pk.pack_array(1);
    pk.pack_uint64(1);
  };
  BOOST_TEST(decode(frame(protocol_version, 3, body)).has_value());
  BOOST_TEST((error_of(frame(protocol_version + 1, 3, body)) == decode_error::unknown_version));
  BOOST_TEST((error_of(frame(0, 3, body)) == decode_error::unknown_version));
  // A later version may lay its frame out differently: the version alone decides.
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> pk(buffer);
  pk.pack_array(5);
  for (int i = 0; i < 5; ++i) pk.pack_uint64(2);
  BOOST_TEST(
      (error_of(std::string(buffer.data(), buffer.size())) == decode_error::unknown_version));
}

BOOST_AUTO_TEST_CASE(an_unknown_command_is_unknown_command) {
  auto body = [](packer& pk) { pk.pack_array(0); };
  BOOST_TEST(
      (error_of(frame(protocol_version, command_count, body)) == decode_error::unknown_command));
  BOOST_TEST((error_of(frame(protocol_version, 255, body)) == decode_error::unknown_command));
  BOOST_TEST(
      (error_of(frame(protocol_version, 1ull << 40, body)) == decode_error::unknown_command));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(wrong_shapes)

// A frame of `cmd` whose body is written by `body`.
template <class Body>
decode_error body_error(command cmd, Body body) {
  return error_of(frame(protocol_version, static_cast<std::uint64_t>(cmd), body));
}

void pack_str(packer& pk, std::string_view s) {
  pk.pack_str(static_cast<std::uint32_t>(s.size()));
  pk.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
}

BOOST_AUTO_TEST_CASE(a_string_where_an_integer_belongs) {
  BOOST_TEST((body_error(command::heartbeat, [](packer& pk) {
                pk.pack_array(1);
                pack_str(pk, "7");
              }) == decode_error::wrong_shape));
}

BOOST_AUTO_TEST_CASE(an_integer_where_a_string_belongs) {
  BOOST_TEST((body_error(command::client_hello, [](packer& pk) {
                pk.pack_array(2);
                pk.pack_uint64(1);
                pack_str(pk, "host");
              }) == decode_error::wrong_shape));
}

BOOST_AUTO_TEST_CASE(too_few_or_too_many_fields) {
  BOOST_TEST((body_error(command::credit, [](packer& pk) {
                pk.pack_array(1);
                pk.pack_uint64(1);
              }) == decode_error::wrong_shape));
  BOOST_TEST((body_error(command::credit, [](packer& pk) {
                pk.pack_array(3);
                pk.pack_uint64(1);
                pk.pack_uint64(2);
                pk.pack_uint64(3);
              }) == decode_error::wrong_shape));
  BOOST_TEST((body_error(command::status_request, [](packer& pk) {
                pk.pack_array(1);
                pk.pack_nil();
              }) == decode_error::wrong_shape));
}

BOOST_AUTO_TEST_CASE(a_body_that_is_not_an_array) {
  BOOST_TEST((body_error(command::status_request, [](packer& pk) { pk.pack_nil(); }) ==
              decode_error::wrong_shape));
  BOOST_TEST((body_error(command::credit, [](packer& pk) {
                pk.pack_map(1);
                pack_str(pk, "batch");
                pk.pack_uint64(1);
              }) == decode_error::wrong_shape));
  BOOST_TEST((body_error(command::submit, [](packer& pk) { pk.pack_bin(0); }) ==
              decode_error::wrong_shape));
}

BOOST_AUTO_TEST_CASE(integers_out_of_their_range) {
  // A capacity past 32 bits, a negative counter.
  BOOST_TEST((body_error(command::worker_hello, [](packer& pk) {
                pk.pack_array(3);
                pack_str(pk, "w");
                pack_str(pk, "h");
                pk.pack_uint64(1ull << 32);
              }) == decode_error::wrong_shape));
  BOOST_TEST((body_error(command::heartbeat, [](packer& pk) {
                pk.pack_array(1);
                pk.pack_int64(-1);
              }) == decode_error::wrong_shape));
}

BOOST_AUTO_TEST_CASE(an_enum_past_its_last_value) {
  auto bytes = [](std::uint32_t refused) {
    return frame(protocol_version, static_cast<std::uint64_t>(command::refusal),
                 [refused](packer& pk) {
                   pk.pack_array(3);
                   pk.pack_uint32(refused);
                   pk.pack_uint64(0);
                   pack_str(pk, "why");
                 });
  };
  BOOST_TEST(decode(bytes(command_count - 1)).has_value());
  BOOST_TEST((error_of(bytes(command_count)) == decode_error::wrong_shape));
}

// The sample frame with one field of its body replaced: finds the field by its packed bytes.
std::string replace_once(std::string bytes, const std::string& from, const std::string& to) {
  const auto at = bytes.find(from);
  BOOST_REQUIRE(at != std::string::npos);
  return bytes.replace(at, from.size(), to);
}

std::string packed_str(std::string_view s) {
  msgpack::sbuffer buffer;
  packer pk(buffer);
  pack_str(pk, s);
  return std::string(buffer.data(), buffer.size());
}

BOOST_AUTO_TEST_CASE(an_unknown_rate_header_name) {
  const auto bytes = encode(result_frame{{sample_result()}});
  const auto swapped = replace_once(bytes, packed_str("anthropic-ratelimit-requests-reset"),
                                    packed_str("anthropic-ratelimit-requests-RESET"));
  BOOST_TEST((error_of(swapped) == decode_error::wrong_shape));
}

BOOST_AUTO_TEST_CASE(request_params_that_are_not_a_json_object) {
  const auto bytes = encode(batch_profiles{1, {sample_profile()}});
  const auto params = packed_str(R"({"stop":["\n"]})");
  BOOST_TEST((error_of(replace_once(bytes, params, packed_str(R"(["stop"])"))) ==
              decode_error::wrong_shape));
  BOOST_TEST((error_of(replace_once(bytes, params, packed_str(R"({"stop":)"))) ==
              decode_error::wrong_shape));
  BOOST_TEST((error_of(replace_once(bytes, params, packed_str(std::string(5000, '[')))) ==
              decode_error::wrong_shape));
}

BOOST_AUTO_TEST_CASE(a_latency_that_is_not_finite) {
  wire_result r;
  r.latency_ms = std::nan("");
  BOOST_TEST((error_of(encode(result_frame{{r}})) == decode_error::wrong_shape));
  r.latency_ms = INFINITY;
  BOOST_TEST((error_of(encode(result_frame{{r}})) == decode_error::wrong_shape));
}

BOOST_AUTO_TEST_CASE(nesting_within_the_limit_in_the_wrong_place) {
  BOOST_TEST((body_error(command::tasks, [](packer& pk) {
                pk.pack_array(1);
                pk.pack_array(1);
                pk.pack_array(1);
                pk.pack_array(1);
                pk.pack_nil();
              }) == decode_error::wrong_shape));
}

BOOST_AUTO_TEST_SUITE_END()
