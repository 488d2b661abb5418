#define BOOST_TEST_MODULE key_redaction
#include <boost/test/unit_test.hpp>

#include <string>

#include "providers/key_redaction.hpp"

using parallm::providers::call_outcome;
using parallm::providers::redact_key;

namespace {
constexpr const char* key = "sk-canary-0123456789";
}

BOOST_AUTO_TEST_CASE(every_occurrence_of_the_key_is_replaced) {
  std::string text = std::string("Incorrect API key provided: Bearer ") + key + "; again " + key;
  BOOST_TEST(redact_key(text, key));
  BOOST_TEST(text ==
             "Incorrect API key provided: Bearer [redacted api key]; again [redacted api key]");
  std::string whole = key;
  BOOST_TEST(redact_key(whole, key));
  BOOST_TEST(whole == "[redacted api key]");
}

BOOST_AUTO_TEST_CASE(text_without_the_key_is_left_as_it_is) {
  std::string text = "HTTP 500: sk-canary-012345678 is only a prefix of the key";
  BOOST_TEST(!redact_key(text, key));
  BOOST_TEST(text == "HTTP 500: sk-canary-012345678 is only a prefix of the key");
}

BOOST_AUTO_TEST_CASE(empty_and_short_keys_redact_nothing) {
  std::string text = "a short key like abc would be everywhere: abcabc";
  BOOST_TEST(!redact_key(text, ""));
  BOOST_TEST(!redact_key(text, "abc"));
  BOOST_TEST(text == "a short key like abc would be everywhere: abcabc");
  std::string eight = "key 12345678 here";
  BOOST_TEST(redact_key(eight, "12345678"));
  BOOST_TEST(eight == "key [redacted api key] here");
}

BOOST_AUTO_TEST_CASE(every_text_of_an_answer_is_redacted) {
  call_outcome outcome;
  outcome.text = std::string("echo ") + key;
  outcome.more_texts = {"clean", std::string(key) + key};
  outcome.error = std::string("HTTP 401: ") + key;
  outcome.finish_reason = key;
  BOOST_TEST(redact_key(outcome, key));
  BOOST_TEST(outcome.text == "echo [redacted api key]");
  BOOST_TEST(outcome.more_texts.at(0) == "clean");
  BOOST_TEST(outcome.more_texts.at(1) == "[redacted api key][redacted api key]");
  BOOST_TEST(outcome.error == "HTTP 401: [redacted api key]");
  BOOST_TEST(outcome.finish_reason == "[redacted api key]");
  BOOST_TEST(!redact_key(outcome, key));
}
