#define BOOST_TEST_MODULE wire_refusals
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "wire_frames.hpp"

using namespace parallm;
using namespace parallm::nodes;
using namespace parallm::nodes::test;

BOOST_AUTO_TEST_SUITE(limits)

BOOST_AUTO_TEST_CASE(a_frame_over_the_byte_cap_is_too_large) {
  wire_limits small;
  small.max_frame_bytes = 64;
  const auto bytes = encode(submit{1, "job.yaml", std::string(100, 'x'), {}, false, false, 0});
  BOOST_TEST((error_of(bytes, small) == decode_error::too_large));
  BOOST_TEST(decode(bytes).has_value());
}

BOOST_AUTO_TEST_CASE(a_string_over_its_cap_is_too_large) {
  wire_limits small;
  small.max_string_bytes = 99;
  BOOST_TEST((error_of(encode(submit{1, "job.yaml", std::string(100, 'x'), {}, false, false, 0}),
                       small) == decode_error::too_large));
  BOOST_TEST(decode(encode(submit{1, "job.yaml", std::string(99, 'x'), {}, false, false, 0}), small)
                 .has_value());
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
  tasks.tasks.resize(200);  // 200 tasks of 8 fields and a 3-field key: ~2200 values
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

BOOST_AUTO_TEST_SUITE(wrong_shapes)

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

BOOST_AUTO_TEST_CASE(a_line_status_past_failed) {
  auto bytes = [](std::uint32_t status) {
    return frame(protocol_version, static_cast<std::uint64_t>(command::item_lines),
                 [status](packer& pk) {
                   pk.pack_array(2);
                   pk.pack_uint64(5);
                   pk.pack_array(1);
                   pk.pack_array(9);
                   pk.pack_uint64(0);
                   pack_str(pk, "{}");
                   pk.pack_uint32(status);
                   for (std::uint64_t n = 1; n <= 6; ++n) pk.pack_uint64(n);
                 });
  };
  BOOST_TEST(decode(bytes(2)).has_value());
  BOOST_TEST((error_of(bytes(3)) == decode_error::wrong_shape));
  BOOST_TEST((error_of(bytes(1u << 31)) == decode_error::wrong_shape));
}

// Each new field of the client's bodies, given the wrong type, refuses the frame.
BOOST_AUTO_TEST_CASE(client_fields_of_the_wrong_type) {
  const auto& all = samples();
  const auto at = [&all](command c) { return encode(all.at(static_cast<std::size_t>(c))); };
  // submit: an override that is not text, the list itself not a list, a flag that is a
  // number, a nonce that is negative.
  const auto sub = at(command::submit);
  BOOST_TEST((error_of(replace_once(sub, packed_str("concurrency=8"), "\x08")) ==
              decode_error::wrong_shape));
  BOOST_TEST(
      (error_of(replace_once(sub, "\x92" + packed_str("model=gpt-4o") + packed_str("concurrency=8"),
                             packed_str("model=gpt-4o"))) == decode_error::wrong_shape));
  BOOST_TEST((error_of(replace_once(sub, "\xc3\xc3", "\x01\xc3")) == decode_error::wrong_shape));
  BOOST_TEST((error_of(replace_once(sub, "\xc3\xc3", "\xc3\x01")) == decode_error::wrong_shape));
  BOOST_TEST((error_of(replace_once(sub, std::string("\xcf\x00\x00\x12\x34\xab\xcd\x56\x78", 9),
                                    std::string("\xd3\xff\xff\xff\xff\xff\xff\xff\xff", 9))) ==
              decode_error::wrong_shape));
  // items: an error that is nil instead of text.
  BOOST_TEST((error_of(replace_once(at(command::items), packed_str("line 3: duplicate id 1"),
                                    "\xc0")) == decode_error::wrong_shape));
  // item_lines: a latency that is a float, a status that is text, attempts that are text.
  const auto lines = at(command::item_lines);
  BOOST_TEST((error_of(replace_once(lines, std::string("\xce\x00\x0c\x65\x39", 5),
                                    std::string("\xca\x00\x00\x00\x00", 5))) ==
              decode_error::wrong_shape));
  BOOST_TEST((error_of(replace_once(lines, "\x01\x78\x2d", packed_str("p") + "\x78\x2d")) ==
              decode_error::wrong_shape));
  BOOST_TEST(
      (error_of(replace_once(lines, std::string("\x39\x03\x05\x02", 4),
                             std::string("\x39\x03\xa1x\x02", 5))) == decode_error::wrong_shape));
  // batch_done: stopped that is a number, failed that is text.
  const auto done = at(command::batch_done);
  BOOST_TEST((error_of(replace_once(done, packed_str("stopped: 20 calls failed alike"), "\x01")) ==
              decode_error::wrong_shape));
  BOOST_TEST((error_of(replace_once(done, "\x64\x02", "\x64\xa1x")) == decode_error::wrong_shape));
}

// The bodies of version 1 before these fields: a frame of the old layout is not accepted.
BOOST_AUTO_TEST_CASE(client_bodies_missing_their_new_fields) {
  BOOST_TEST((body_error(command::submit, [](packer& pk) {
                pk.pack_array(3);
                pk.pack_uint64(1);
                pack_str(pk, "job.yaml");
                pack_str(pk, "version: 1");
              }) == decode_error::wrong_shape));
  // An item_line without its call counts.
  BOOST_TEST((body_error(command::item_lines, [](packer& pk) {
                pk.pack_array(2);
                pk.pack_uint64(5);
                pk.pack_array(1);
                pk.pack_array(6);
                pk.pack_uint64(0);
                pack_str(pk, "{}");
                pk.pack_uint32(0);
                pk.pack_uint64(1);
                pk.pack_uint64(2);
                pk.pack_uint64(3);
              }) == decode_error::wrong_shape));
  BOOST_TEST((body_error(command::batch_done, [](packer& pk) {
                pk.pack_array(4);
                pk.pack_uint64(1);
                pk.pack_uint64(2);
                pk.pack_uint64(3);
                pack_str(pk, "");
              }) == decode_error::wrong_shape));
  BOOST_TEST((body_error(command::items, [](packer& pk) {
                pk.pack_array(4);
                pk.pack_uint64(1);
                pk.pack_array(1);
                pk.pack_array(3);
                pk.pack_uint64(0);
                pk.pack_uint64(1);
                pack_str(pk, "{}");
                pk.pack_false();
                pk.pack_uint64(0);
              }) == decode_error::wrong_shape));
}

BOOST_AUTO_TEST_CASE(an_unknown_rate_header_name) {
  // The rate headers end the frame's one result: its last two bytes number the requests'
  // reset header (1) and the tokens' (2), the last of each table.
  const auto bytes = encode(result_frame{{sample_result()}});
  BOOST_TEST_REQUIRE(bytes.substr(bytes.size() - 2) == std::string("\x01\x02"));
  BOOST_TEST(
      (error_of(bytes.substr(0, bytes.size() - 2) + "\x02\x02") == decode_error::wrong_shape));
  BOOST_TEST(
      (error_of(bytes.substr(0, bytes.size() - 2) + "\x01\x03") == decode_error::wrong_shape));
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
