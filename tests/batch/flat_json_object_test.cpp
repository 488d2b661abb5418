#define BOOST_TEST_MODULE flat_json_object
#include <boost/test/unit_test.hpp>

#include <random>
#include <string>
#include <vector>

#include "batch/flat_json_object.hpp"

using parallm::batch::parse_flat_json_object;

namespace {

// The fast path must give exactly nlohmann's value, number types included.
void check_same_as_nlohmann(const std::string& text) {
  const auto fast = parse_flat_json_object(text);
  BOOST_TEST_INFO("line: " << text);
  BOOST_REQUIRE(fast.has_value());
  const auto slow = nlohmann::json::parse(text);
  BOOST_TEST(fast->dump() == slow.dump());
  BOOST_REQUIRE(fast->is_object());
  for (auto it = slow.begin(); it != slow.end(); ++it) {
    BOOST_TEST_INFO("key: " << it.key());
    BOOST_REQUIRE(fast->contains(it.key()));
    BOOST_TEST((fast->at(it.key()).type() == it.value().type()));
  }
}

void check_left_to_nlohmann(const std::string& text) {
  BOOST_TEST_INFO("line: " << text);
  BOOST_TEST(!parse_flat_json_object(text).has_value());
}

}  // namespace

BOOST_AUTO_TEST_CASE(reads_flat_objects_as_nlohmann_does) {
  for (const std::string& text : std::vector<std::string>{
           R"({"id": 0, "i": 0})", R"({})", R"(  { }  )", "\t{\"a\":\"b\"}\r\n",
           R"({"id":"x-1","n":-42,"ok":true,"no":false,"nothing":null})",
           R"({"big":999999999999999999,"neg":-999999999999999999,"z":-0})",
           R"({"text":"all printable: ~!@#$%^&*()_+`-={}[]|;':,./<>? and DEL )"
           "\x7f\"}",
           R"({"a" : 1 , "b" :"two" })"}) {
    check_same_as_nlohmann(text);
  }
}

BOOST_AUTO_TEST_CASE(leaves_everything_else_to_nlohmann) {
  for (const std::string& text : std::vector<std::string>{
           R"({"a":{"b":1}})",              // nesting
           R"({"a":[1]})",                  // an array
           R"({"a":"line\nbreak"})",        // an escape
           "{\"a\":\"caf\xc3\xa9\"}",       // non-ASCII
           "{\"a\":\"tab\tinside\"}",       // a control character: an error
           R"({"a":1.5})",                  // a fraction
           R"({"a":1e3})",                  // an exponent
           R"({"a":01})",                   // a leading zero: an error
           R"({"a":1234567890123456789})",  // more digits than always fit
           R"({"a":1,"a":2})",              // a duplicate key: nlohmann keeps the last
           "\xef\xbb\xbf{\"a\":1}",         // a byte-order mark
           R"([1,2])",                      // not an object
           R"("text")",
           R"({"a":1} x)",  // trailing text
           R"({"a":1,})",   // a trailing comma
           R"({"a":tru})",  // a broken literal
           R"({"a":-})",    // a sign alone
           R"({"a":1)",     // unterminated
           R"({"a)",
           std::string("{\"a\":1}\0", 8),  // a NUL after the object
       }) {
    check_left_to_nlohmann(text);
  }
}

// Random flat objects with random spacing: whatever the fast path accepts, nlohmann reads
// the same, and the plain ones (no escapes, integers within 18 digits) it always accepts.
BOOST_AUTO_TEST_CASE(agrees_with_nlohmann_on_random_flat_objects) {
  std::mt19937_64 random(20261202);
  const std::vector<std::string> spaces{"", " ", "\t", "\n", "\r\n", "  "};
  auto space = [&] { return spaces[random() % spaces.size()]; };
  auto plain_string = [&] {
    std::string s;
    const auto length = random() % 12;
    for (std::size_t i = 0; i < length; ++i) {
      char c = static_cast<char>(0x20 + random() % 0x60);
      if (c == '"' || c == '\\') c = 'q';
      s += c;
    }
    return s;
  };
  for (int round = 0; round < 2000; ++round) {
    std::string text = space() + "{";
    const auto members = random() % 6;
    for (std::size_t m = 0; m < members; ++m) {
      if (m > 0) text += space() + "," + space();
      text += "\"k" + std::to_string(m) + plain_string() + "\"" + space() + ":" + space();
      switch (random() % 5) {
        case 0:
          text += "\"" + plain_string() + "\"";
          break;
        case 1:
          text += std::to_string(static_cast<std::int64_t>(random() % 2000000000000000000ull) -
                                 1000000000000000000ll);
          break;
        case 2:
          text += std::to_string(random() % 1000);
          break;
        case 3:
          text += random() % 2 ? "true" : "false";
          break;
        default:
          text += "null";
      }
    }
    text += space() + "}" + space();
    check_same_as_nlohmann(text);
  }
}
