#define BOOST_TEST_MODULE json_text
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include "flow/json_text.hpp"

using namespace parallm::flow;
using nlohmann::json;

namespace {

std::string escaped(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(plain_text_is_quoted) {
  BOOST_TEST(escaped("hello") == "\"hello\"");
  BOOST_TEST(escaped("") == "\"\"");
}

BOOST_AUTO_TEST_CASE(quotes_backslashes_and_controls_are_escaped) {
  BOOST_TEST(escaped("a\"b\\c\n\r\t\b\f\x01\x1f") == R"("a\"b\\c\n\r\t\b\f\u0001\u001f")");
}

// Long text is checked a word at a time: every byte that needs care is caught at every
// offset within a word, and the bytes around it still pass through.
BOOST_AUTO_TEST_CASE(a_special_byte_is_caught_anywhere_in_long_text) {
  for (const std::string special : {"\"", "\\", "\n", "\x01", "\x1f", "\x7f", "\xc3\xa9", "\xff"}) {
    for (std::size_t at = 0; at < 24; ++at) {
      const std::string text = std::string(at, 'a') + special + std::string(19, ' ');
      BOOST_TEST_INFO("special byte " << static_cast<int>(static_cast<unsigned char>(special[0]))
                                      << " at " << at);
      BOOST_TEST(escaped(text) == json(text).dump(-1, ' ', false, json::error_handler_t::replace));
    }
  }
}

BOOST_AUTO_TEST_CASE(valid_utf8_passes_through) {
  const std::string text = "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80";
  BOOST_TEST(escaped(text) == "\"" + text + "\"");
}

BOOST_AUTO_TEST_CASE(invalid_utf8_becomes_the_replacement_character) {
  const std::string fffd = "\xEF\xBF\xBD";
  BOOST_TEST(escaped("a\xFF"
                     "b") == "\"a" + fffd + "b\"");
  BOOST_TEST(escaped("\xC3") == "\"" + fffd + "\"");                        // truncated sequence
  BOOST_TEST(escaped("\xC0\xAF") == "\"" + fffd + fffd + "\"");             // overlong
  BOOST_TEST(escaped("\xED\xA0\x80") == "\"" + fffd + fffd + fffd + "\"");  // surrogate
  BOOST_TEST(escaped("\xF4\x90\x80\x80").find(fffd) != std::string::npos);  // above U+10FFFF
}

BOOST_AUTO_TEST_CASE(every_value_round_trips) {
  const json value = {{"s", "x\"y"},
                      {"n", -3},
                      {"u", 7u},
                      {"f", 2.5},
                      {"b", false},
                      {"z", nullptr},
                      {"a", json::array({1, "two", json::array()})},
                      {"o", json::object()}};
  std::string out;
  append_json(out, value);
  BOOST_TEST(json::parse(out) == value);
  BOOST_TEST(to_json_text(value) == out);
}

BOOST_AUTO_TEST_CASE(numbers_are_written_in_decimal) {
  std::string out;
  append_json_number(out, 0);
  out += ',';
  append_json_number(out, 18446744073709551615ull);
  BOOST_TEST(out == "0,18446744073709551615");
}
