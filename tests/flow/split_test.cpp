#define BOOST_TEST_MODULE split
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "flow/split.hpp"

using parallm::config::split_by;
using parallm::flow::split_text;
using chunks = std::vector<std::string>;

namespace {

// Every sequence in the chunk starts on a lead byte and is complete.
bool whole_utf8(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto lead = static_cast<unsigned char>(s[i]);
    const std::size_t length = lead < 0x80    ? 1
                               : lead >= 0xF0 ? 4
                               : lead >= 0xE0 ? 3
                               : lead >= 0xC0 ? 2
                                              : 0;
    if (length == 0 || i + length > s.size()) return false;
    i += length;
  }
  return true;
}

}  // namespace

BOOST_AUTO_TEST_CASE(paragraphs_are_separated_by_blank_lines) {
  const auto got =
      split_text("  one\nline two\n\n \t\n\n  two  \n\n\nthree", split_by::paragraph, 0);
  BOOST_TEST(got == (chunks{"one\nline two", "two", "three"}));
}

BOOST_AUTO_TEST_CASE(empty_and_blank_texts_give_no_chunks) {
  BOOST_TEST(split_text("", split_by::paragraph, 0).empty());
  BOOST_TEST(split_text(" \n\n \t ", split_by::paragraph, 10).empty());
  BOOST_TEST(split_text("   ", split_by::sentence, 0).empty());
  BOOST_TEST(split_text("\n ", split_by::chars, 4).empty());
}

BOOST_AUTO_TEST_CASE(paragraphs_are_packed_greedily_up_to_max_chars) {
  // "aaaa\n\nbbbb" is exactly 10 characters; adding "cc" would exceed it.
  const auto got = split_text("aaaa\n\nbbbb\n\ncc\n\ndddddd", split_by::paragraph, 10);
  BOOST_TEST(got == (chunks{"aaaa\n\nbbbb", "cc\n\ndddddd"}));
}

BOOST_AUTO_TEST_CASE(a_long_paragraph_is_cut_at_sentence_ends) {
  const auto got =
      split_text("short\n\nOne two. Three four! Five six? Seven.\n\ntail", split_by::paragraph, 20);
  BOOST_TEST(got == (chunks{"short", "One two. Three four!", "Five six? Seven.", "tail"}));
}

BOOST_AUTO_TEST_CASE(a_long_sentence_is_cut_at_whitespace_then_hard) {
  const auto got = split_text("abcdefghijkl mn", split_by::paragraph, 5);
  BOOST_TEST(got == (chunks{"abcde", "fghij", "kl mn"}));
}

BOOST_AUTO_TEST_CASE(sentences_end_after_punctuation_followed_by_whitespace) {
  const auto got = split_text("Hi there. Version 1.5 is out!  Really?\nYes", split_by::sentence, 0);
  BOOST_TEST(got == (chunks{"Hi there.", "Version 1.5 is out!", "Really?", "Yes"}));
}

BOOST_AUTO_TEST_CASE(sentences_are_packed_with_a_space) {
  const auto got = split_text("A b. C d. E f. G h.", split_by::sentence, 10);
  BOOST_TEST(got == (chunks{"A b. C d.", "E f. G h."}));
}

BOOST_AUTO_TEST_CASE(chars_prefers_whitespace_breaks) {
  const auto got = split_text("the quick brown fox jumps", split_by::chars, 10);
  BOOST_TEST(got == (chunks{"the quick", "brown fox", "jumps"}));
  for (const auto& c : got) BOOST_TEST(c.size() <= 10u);
}

BOOST_AUTO_TEST_CASE(chars_cuts_hard_when_a_word_is_too_long) {
  BOOST_TEST(split_text("abcdefghij", split_by::chars, 4) == (chunks{"abcd", "efgh", "ij"}));
}

BOOST_AUTO_TEST_CASE(chars_without_a_limit_is_the_whole_trimmed_text) {
  BOOST_TEST(split_text("  all of it \n", split_by::chars, 0) == (chunks{"all of it"}));
}

BOOST_AUTO_TEST_CASE(no_cut_falls_inside_a_utf8_sequence) {
  // "é" is two bytes and "€" three: cutting at every byte count must keep them whole.
  const std::string text = "\xC3\xA9\xE2\x82\xAC\xC3\xA9\xE2\x82\xAC\xC3\xA9\xE2\x82\xAC";
  for (std::size_t max = 1; max <= 8; ++max) {
    std::string joined;
    for (const auto& chunk : split_text(text, split_by::chars, max)) {
      BOOST_TEST(whole_utf8(chunk));
      BOOST_TEST((chunk.size() <= max || max < 3));
      joined += chunk;
    }
    BOOST_TEST(joined == text);
  }
}

BOOST_AUTO_TEST_CASE(a_character_longer_than_max_chars_stays_whole) {
  BOOST_TEST(split_text("\xE2\x82\xAC\xE2\x82\xAC", split_by::chars, 1) ==
             (chunks{"\xE2\x82\xAC", "\xE2\x82\xAC"}));
}
