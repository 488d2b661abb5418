#define BOOST_TEST_MODULE id_registry
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "batch/id_registry.hpp"

using parallm::batch::id_registry;

BOOST_AUTO_TEST_CASE(empty_registry_contains_nothing) {
  const id_registry ids;
  BOOST_TEST(ids.size() == 0u);
  BOOST_TEST(!ids.contains("0"));
  BOOST_TEST(!ids.contains("a"));
}

BOOST_AUTO_TEST_CASE(second_insert_of_an_integer_id_is_a_duplicate) {
  id_registry ids;
  BOOST_TEST(ids.insert("5"));
  BOOST_TEST(!ids.insert("5"));
  BOOST_TEST(ids.contains("5"));
  BOOST_TEST(!ids.contains("4"));
  BOOST_TEST(!ids.contains("6"));
  BOOST_TEST(ids.size() == 1u);
}

BOOST_AUTO_TEST_CASE(integer_runs_merge_whatever_the_order) {
  id_registry ids;
  // Builds 0..9 from both sides and the middle, so every merge case happens.
  for (const auto* id : {"0", "9", "2", "4", "3", "8", "1", "6", "5", "7"})
    BOOST_TEST(ids.insert(id));
  for (int i = 0; i <= 9; ++i) {
    BOOST_TEST(ids.contains(std::to_string(i)));
    BOOST_TEST(!ids.insert(std::to_string(i)));
  }
  BOOST_TEST(!ids.contains("10"));
  BOOST_TEST(ids.size() == 10u);
  BOOST_TEST(ids.integer_runs() == 1u);
}

namespace {

std::vector<int> shuffled(int n, unsigned seed) {
  std::vector<int> values(n);
  std::iota(values.begin(), values.end(), 0);
  std::mt19937 rng(seed);
  std::shuffle(values.begin(), values.end(), rng);
  return values;
}

// What the registry's nodes (~64 bytes each) and hash slots (12 bytes) cost, per id.
double bytes_per_id(const id_registry& ids) {
  return (64.0 * ids.integer_runs() + 12.0 * ids.hash_slots()) / static_cast<double>(ids.size());
}

}  // namespace

BOOST_AUTO_TEST_CASE(shuffled_integer_ids_are_found_once_with_their_first_line) {
  // The input reader's case: ids in an order of their own, on consecutive lines.
  const int n = 100000;
  const auto values = shuffled(n, 7);
  id_registry ids;
  for (int i = 0; i < n; ++i) BOOST_TEST_REQUIRE(ids.insert(std::to_string(values[i]), i + 1));
  BOOST_TEST(ids.size() == static_cast<std::uint64_t>(n));
  for (int i = 0; i < n; ++i) {
    const auto id = std::to_string(values[i]);
    BOOST_TEST_REQUIRE(!ids.insert(id, n + i + 1));
    BOOST_TEST_REQUIRE(ids.first_line(id) == i + 1u);
    BOOST_TEST_REQUIRE(!ids.contains("\"" + id + "\""));
  }
  BOOST_TEST(!ids.contains(std::to_string(n)));
  BOOST_TEST(ids.size() == static_cast<std::uint64_t>(n));
  // Not a node per id: a few thousand runs, the rest in the table (131072 slots hold at most
  // 91750 ids, so more than that went there).
  BOOST_TEST_MESSAGE("runs " << ids.integer_runs() << ", slots " << ids.hash_slots() << ", "
                             << bytes_per_id(ids) << " bytes/id");
  BOOST_TEST(ids.integer_runs() <= 4096u + n / 256);
  BOOST_TEST(ids.hash_slots() >= static_cast<std::size_t>(n));
  BOOST_TEST(bytes_per_id(ids) <= 35.0);
}

BOOST_AUTO_TEST_CASE(shuffled_integer_ids_without_lines_stay_bounded_and_distinct) {
  const int n = 100000;
  const auto values = shuffled(n, 11);
  id_registry ids;
  for (int v : values) BOOST_TEST_REQUIRE(ids.insert(std::to_string(v)));
  // The same digits as strings are other ids, wherever either was put.
  for (int v : values) BOOST_TEST_REQUIRE(ids.insert("\"" + std::to_string(v) + "\"", 5));
  BOOST_TEST(ids.size() == 2u * n);
  for (int v = 0; v < n; ++v) {
    BOOST_TEST_REQUIRE(!ids.insert(std::to_string(v), 9));
    BOOST_TEST_REQUIRE(ids.first_line(std::to_string(v)) == 0u);
    BOOST_TEST_REQUIRE(ids.first_line("\"" + std::to_string(v) + "\"") == 5u);
  }
  BOOST_TEST(!ids.contains(std::to_string(n)));
  BOOST_TEST(!ids.contains("\"" + std::to_string(n) + "\""));
  BOOST_TEST_MESSAGE("runs " << ids.integer_runs() << ", slots " << ids.hash_slots() << ", "
                             << bytes_per_id(ids) << " bytes/id");
  BOOST_TEST(ids.integer_runs() <= 4096u + 2 * n / 256);
  BOOST_TEST(bytes_per_id(ids) <= 35.0);
}

BOOST_AUTO_TEST_CASE(an_output_written_out_of_order_resumes_into_one_run) {
  // An output file holds ids 0..N in the order items finished: shuffled within a window.
  const int n = 200000;
  const int window = 4096;
  std::vector<int> values(n);
  std::iota(values.begin(), values.end(), 0);
  std::mt19937 rng(3);
  for (int lo = 0; lo < n; lo += window) {
    std::shuffle(values.begin() + lo, values.begin() + std::min(n, lo + window), rng);
  }
  id_registry with_lines;
  id_registry without_lines;  // an output written before lines were kept
  for (int v : values) {
    BOOST_TEST_REQUIRE(with_lines.insert(std::to_string(v), v + 1));
    BOOST_TEST_REQUIRE(without_lines.insert(std::to_string(v)));
  }
  BOOST_TEST(with_lines.integer_runs() == 1u);
  BOOST_TEST(with_lines.hash_slots() == 0u);
  BOOST_TEST(with_lines.first_line("12345") == 12346u);
  BOOST_TEST(without_lines.integer_runs() == 1u);
  BOOST_TEST(without_lines.hash_slots() == 0u);
}

BOOST_AUTO_TEST_CASE(a_batch_numbered_in_order_is_one_run) {
  id_registry ids;
  for (int i = 0; i < 1000000; ++i) BOOST_TEST_REQUIRE(ids.insert(std::to_string(i)));
  BOOST_TEST(ids.integer_runs() == 1u);
  BOOST_TEST(ids.size() == 1000000u);
  BOOST_TEST(ids.insert("1000001"));
  BOOST_TEST(ids.integer_runs() == 2u);
}

BOOST_AUTO_TEST_CASE(non_canonical_integers_are_distinct_string_ids) {
  id_registry ids;
  BOOST_TEST(ids.insert("7"));
  BOOST_TEST(ids.insert("07"));
  BOOST_TEST(ids.insert("+7"));
  BOOST_TEST(ids.insert("-7"));
  BOOST_TEST(ids.insert("7.0"));
  BOOST_TEST(!ids.insert("07"));
  BOOST_TEST(ids.size() == 5u);
}

BOOST_AUTO_TEST_CASE(integers_from_two_to_the_63_are_kept_as_strings) {
  id_registry ids;
  BOOST_TEST(ids.insert("9223372036854775807"));
  BOOST_TEST(ids.insert("9223372036854775808"));
  BOOST_TEST(ids.insert("99999999999999999999999"));
  BOOST_TEST(!ids.insert("9223372036854775808"));
  BOOST_TEST(!ids.insert("99999999999999999999999"));
  BOOST_TEST(ids.contains("9223372036854775807"));
  BOOST_TEST(!ids.contains("9223372036854775806"));
}

BOOST_AUTO_TEST_CASE(string_ids_are_found_through_table_growth) {
  id_registry ids;
  const int n = 100000;
  for (int i = 0; i < n; ++i) BOOST_TEST_REQUIRE(ids.insert("doc-" + std::to_string(i)));
  BOOST_TEST(ids.size() == static_cast<std::uint64_t>(n));
  for (int i = 0; i < n; ++i) {
    BOOST_TEST_REQUIRE(ids.contains("doc-" + std::to_string(i)));
    BOOST_TEST_REQUIRE(!ids.insert("doc-" + std::to_string(i)));
  }
  for (int i = n; i < 2 * n; ++i) BOOST_TEST_REQUIRE(!ids.contains("doc-" + std::to_string(i)));
}

BOOST_AUTO_TEST_CASE(empty_string_is_an_id_like_any_other) {
  id_registry ids;
  BOOST_TEST(!ids.contains(""));
  BOOST_TEST(ids.insert(""));
  BOOST_TEST(!ids.insert(""));
  BOOST_TEST(ids.contains(""));
}

BOOST_AUTO_TEST_CASE(a_number_and_a_string_of_its_digits_are_different_ids) {
  id_registry ids;
  BOOST_TEST(ids.insert("7", 1));
  BOOST_TEST(!ids.contains(R"("7")"));
  BOOST_TEST(ids.insert(R"("7")", 2));
  BOOST_TEST(!ids.insert("7", 3));
  BOOST_TEST(!ids.insert(R"("7")", 4));
  BOOST_TEST(ids.first_line("7") == 1u);
  BOOST_TEST(ids.first_line(R"("7")") == 2u);
  BOOST_TEST(ids.size() == 2u);
}

BOOST_AUTO_TEST_CASE(quoted_integer_strings_are_kept_as_runs_too) {
  id_registry ids;
  for (int i = 0; i < 100000; ++i) {
    BOOST_TEST_REQUIRE(ids.insert("\"" + std::to_string(i) + "\"", i + 1));
  }
  BOOST_TEST(ids.integer_runs() == 1u);
  BOOST_TEST(ids.contains(R"("99999")"));
  BOOST_TEST(!ids.contains("99999"));
  BOOST_TEST(!ids.contains(R"("07")"));
  BOOST_TEST(ids.first_line(R"("41")") == 42u);
}

BOOST_AUTO_TEST_CASE(the_first_line_of_each_id_is_kept) {
  id_registry ids;
  BOOST_TEST(ids.insert(R"("doc")", 5));
  BOOST_TEST(!ids.insert(R"("doc")", 9));
  BOOST_TEST(ids.first_line(R"("doc")") == 5u);
  for (int i = 0; i < 5000; ++i)
    BOOST_TEST_REQUIRE(ids.insert("\"d" + std::to_string(i) + "\"", 10 + i));
  for (int i = 0; i < 5000; ++i)
    BOOST_TEST_REQUIRE(ids.first_line("\"d" + std::to_string(i) + "\"") == 10u + i);
  BOOST_TEST(ids.first_line(R"("doc")") == 5u);
  BOOST_TEST(ids.first_line(R"("absent")") == 0u);
  BOOST_TEST(ids.insert(R"("late")", std::uint64_t{1} << 40));
  BOOST_TEST(ids.first_line(R"("late")") == 0u);
}

BOOST_AUTO_TEST_CASE(integer_runs_keep_lines_and_merge_only_where_lines_follow_ids) {
  id_registry ids;
  // Ids 0..9 on lines 3..12, inserted out of order (as --resume reads an unordered output).
  for (int i : {4, 0, 9, 2, 1, 3, 8, 6, 5, 7}) BOOST_TEST(ids.insert(std::to_string(i), i + 3));
  BOOST_TEST(ids.integer_runs() == 1u);
  for (int i = 0; i < 10; ++i) BOOST_TEST(ids.first_line(std::to_string(i)) == i + 3u);
  // 10 on a line of its own (after a blank line) starts a run, and keeps its line.
  BOOST_TEST(ids.insert("10", 15));
  BOOST_TEST(ids.integer_runs() == 2u);
  BOOST_TEST(ids.first_line("10") == 15u);
  BOOST_TEST(ids.first_line("9") == 12u);
  // Ids without lines merge with each other.
  BOOST_TEST(ids.insert("20"));
  BOOST_TEST(ids.insert("21"));
  BOOST_TEST(ids.integer_runs() == 3u);
  BOOST_TEST(ids.first_line("21") == 0u);
}
