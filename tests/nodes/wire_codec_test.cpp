#define BOOST_TEST_MODULE wire_codec
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <random>
#include <utility>

#include "providers/rate_headers.hpp"

#include "wire_frames.hpp"

using namespace parallm;
using namespace parallm::nodes;
using namespace parallm::nodes::test;

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
  BOOST_TEST(got.generation == 1u);
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

BOOST_AUTO_TEST_CASE(a_submit_keeps_every_field) {
  const auto r = decode(encode(samples().at(static_cast<std::size_t>(command::submit))));
  BOOST_TEST_REQUIRE(r.has_value());
  const auto& got = std::get<submit>(r.value());
  BOOST_TEST(got.batch == 5u);
  BOOST_TEST(got.job_path == "jobs/joke.yaml");
  BOOST_TEST(got.job_text == "version: 1\nname: joke\n");
  BOOST_TEST(got.overrides == std::vector<std::string>({"model=gpt-4o", "concurrency=8"}));
  BOOST_TEST(got.openai_batch_input);
  BOOST_TEST(got.openai_batch_output);
  BOOST_TEST(got.nonce == 0x1234abcd5678ull);
  // The other way round, and a Batch input with no job file at all.
  const auto r2 = decode(encode(submit{6, "", "", {}, true, false, 1}));
  BOOST_TEST_REQUIRE(r2.has_value());
  const auto& plain = std::get<submit>(r2.value());
  BOOST_TEST(plain.job_text.empty());
  BOOST_TEST(plain.overrides.empty());
  BOOST_TEST(plain.openai_batch_input);
  BOOST_TEST(!plain.openai_batch_output);
  BOOST_TEST(plain.nonce == 1u);
}

BOOST_AUTO_TEST_CASE(input_lines_keep_their_error) {
  const auto r = decode(encode(samples().at(static_cast<std::size_t>(command::items))));
  BOOST_TEST_REQUIRE(r.has_value());
  const auto& got = std::get<item_frame>(r.value());
  BOOST_TEST_REQUIRE(got.items.size() == 2u);
  BOOST_TEST(got.items[0].error.empty());
  BOOST_TEST(got.items[1].seq == 1u);
  BOOST_TEST(got.items[1].line == 3u);
  BOOST_TEST(got.items[1].text == R"({"id":1})");
  BOOST_TEST(got.items[1].error == "line 3: duplicate id 1");
  BOOST_TEST(got.end_of_input);
  BOOST_TEST(got.skipped == 9u);
}

BOOST_AUTO_TEST_CASE(item_lines_keep_status_tokens_latency_and_calls) {
  for (const auto status : {line_status::ok, line_status::partial, line_status::failed}) {
    const item_line sent{42, R"({"id":1})", status, 1ull << 40, 77, 5000000, 3, 1ull << 33, 4};
    const auto r = decode(encode(line_frame{5, {sent}}));
    BOOST_TEST_REQUIRE(r.has_value());
    const auto& got = std::get<line_frame>(r.value()).lines.at(0);
    BOOST_TEST((got.status == status));
    BOOST_TEST(got.seq == 42u);
    BOOST_TEST(got.text == sent.text);
    BOOST_TEST(got.prompt_tokens == 1ull << 40);
    BOOST_TEST(got.completion_tokens == 77u);
    BOOST_TEST(got.latency_us == 5000000u);
    BOOST_TEST(got.calls == 3u);
    BOOST_TEST(got.attempts == 1ull << 33);
    BOOST_TEST(got.rate_limited == 4u);
  }
}

BOOST_AUTO_TEST_CASE(batch_done_keeps_every_count) {
  const auto r = decode(encode(samples().at(static_cast<std::size_t>(command::batch_done))));
  BOOST_TEST_REQUIRE(r.has_value());
  const auto& got = std::get<batch_done>(r.value());
  BOOST_TEST(got.batch == 5u);
  BOOST_TEST(got.ok == 100u);
  BOOST_TEST(got.failed == 2u);
  BOOST_TEST(got.error == "internal: store failed");
  BOOST_TEST(got.stopped == "stopped: 20 calls failed alike");
}

// Every reset header providers::read_rate_headers can name survives the wire.
BOOST_AUTO_TEST_CASE(rate_header_names_come_back_as_read) {
  const std::vector<std::vector<std::pair<std::string, std::string>>> answers{
      {{"x-ratelimit-reset-requests", "1s"}, {"x-ratelimit-reset-tokens", "2s"}},
      {{"anthropic-ratelimit-requests-reset", "2030-01-01T00:00:00Z"},
       {"anthropic-ratelimit-tokens-reset", "2030-01-01T00:00:00Z"}},
      {{"anthropic-ratelimit-input-tokens-reset", "2030-01-01T00:00:00Z"}},
  };
  for (const auto& headers : answers) {
    wire_result sent;
    sent.rate = providers::read_rate_headers(headers, std::chrono::system_clock::now());
    BOOST_TEST_REQUIRE(!sent.rate.empty());
    const auto r = decode(encode(result_frame{{sent}}));
    BOOST_TEST_REQUIRE(r.has_value());
    const auto& got = std::get<result_frame>(r.value()).results.at(0).rate;
    BOOST_TEST(got.reset_requests_header == sent.rate.reset_requests_header);
    BOOST_TEST(got.reset_tokens_header == sent.rate.reset_tokens_header);
  }
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
  for (int i = 0; i < 5; ++i) pk.pack_uint64(protocol_version + 1);
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
