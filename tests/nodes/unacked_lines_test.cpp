#define BOOST_TEST_MODULE unacked_lines
#include <boost/test/unit_test.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "nodes/unacked_lines.hpp"

using parallm::nodes::input_line;
using parallm::nodes::unacked_lines;

namespace {

input_line line(std::uint64_t seq) {
  return input_line{seq, seq + 1, "{\"id\":" + std::to_string(seq) + "}", ""};
}

std::vector<std::uint64_t> seqs(const std::vector<input_line>& lines) {
  std::vector<std::uint64_t> out;
  for (const auto& l : lines) out.push_back(l.seq);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(lines_come_back_in_any_order_and_the_rest_are_taken_in_seq_order) {
  unacked_lines kept;
  BOOST_TEST(kept.empty());
  for (std::uint64_t s = 0; s < 6; ++s) kept.add(line(s));
  BOOST_TEST(kept.size() == 6u);
  BOOST_TEST(kept.remove(3));
  BOOST_TEST(kept.remove(0));
  BOOST_TEST(!kept.remove(3));   // a duplicate line
  BOOST_TEST(!kept.remove(99));  // never kept
  BOOST_TEST(kept.size() == 4u);
  const auto rest = kept.take_all();
  BOOST_TEST(seqs(rest) == (std::vector<std::uint64_t>{1, 2, 4, 5}));
  BOOST_TEST(rest[1].text == "{\"id\":2}");
  BOOST_TEST(kept.empty());
  BOOST_TEST(!kept.remove(1));
}

BOOST_AUTO_TEST_CASE(after_taking_all_the_same_seqs_may_be_kept_again) {
  unacked_lines kept;
  for (std::uint64_t s = 10; s < 13; ++s) kept.add(line(s));
  BOOST_TEST(kept.remove(10));
  auto again = kept.take_all();
  BOOST_TEST(seqs(again) == (std::vector<std::uint64_t>{11, 12}));
  for (auto& l : again) kept.add(std::move(l));
  kept.add(line(20));  // a gap: seqs skipped by nobody still work
  BOOST_TEST(kept.size() == 3u);
  BOOST_TEST(kept.remove(20));
  BOOST_TEST(kept.remove(11));
  BOOST_TEST(kept.remove(12));
  BOOST_TEST(kept.empty());
  BOOST_TEST(kept.take_all().empty());
}

BOOST_AUTO_TEST_CASE(a_seq_out_of_order_is_a_bug_and_says_so) {
  unacked_lines kept;
  kept.add(line(5));
  BOOST_CHECK_THROW(kept.add(line(5)), std::logic_error);
  BOOST_CHECK_THROW(kept.add(line(2)), std::logic_error);
  BOOST_TEST(kept.size() == 1u);
}

// Many lines back in a scrambled order: the count and the survivors stay right throughout.
BOOST_AUTO_TEST_CASE(a_long_run_keeps_its_count) {
  unacked_lines kept;
  std::vector<bool> back(1000, false);
  for (std::uint64_t s = 0; s < 1000; ++s) kept.add(line(s));
  std::size_t left = 1000;
  for (std::uint64_t k = 0; k < 1000; ++k) {
    const auto s = (k * 7919) % 1000;
    if (s % 3 == 0) continue;
    BOOST_TEST(kept.remove(s));
    back[s] = true;
    --left;
    BOOST_TEST(kept.size() == left);
  }
  const auto rest = kept.take_all();
  BOOST_TEST(rest.size() == left);
  for (const auto& l : rest) BOOST_TEST(!back[l.seq]);
}
