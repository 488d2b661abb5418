#define BOOST_TEST_MODULE frame_split
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "nodes/frame_split.hpp"
#include "nodes/wire_codec.hpp"

using namespace parallm;
using namespace parallm::nodes;

namespace {

wire_task task(std::uint64_t counter, std::string prompt) {
  return wire_task{{7, 3, counter}, 1, 0, 0, 0, std::move(prompt), "", 1};
}

template <class Frame>
Frame decoded(const std::string& bytes, const wire_limits& limits) {
  const auto r = decode(bytes, limits);
  if (!r) BOOST_FAIL("a split frame was refused: " << to_string(r.error()));
  return std::get<Frame>(r.value());
}

// Every task's counter, in the order the frames carry them.
std::vector<std::uint64_t> counters(const std::vector<std::string>& frames,
                                    const wire_limits& limits) {
  std::vector<std::uint64_t> out;
  for (const auto& bytes : frames) {
    for (const auto& t : decoded<task_frame>(bytes, limits).tasks) out.push_back(t.key.counter);
  }
  return out;
}

std::vector<std::uint64_t> up_to(std::uint64_t n) {
  std::vector<std::uint64_t> out;
  for (std::uint64_t i = 0; i < n; ++i) out.push_back(i);
  return out;
}

std::string text(std::size_t n) {
  return std::string(n, 'x');
}

auto& list_of(task_frame& f) {
  return f.tasks;
}
auto& list_of(result_frame& f) {
  return f.results;
}
auto& list_of(item_frame& f) {
  return f.items;
}
auto& list_of(line_frame& f) {
  return f.lines;
}

// What one entry adds to an encoded frame: the frame with it less the frame without it.
template <class Frame, class Entry>
std::size_t encoded_bytes(Frame with, Entry e) {
  const auto without = encode(with).size();
  list_of(with).push_back(std::move(e));
  return encode(with).size() - without;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(estimates)

// Numbers at their widest, every optional set, strings across each header width.
BOOST_AUTO_TEST_CASE(an_entry_never_encodes_larger_than_its_cost) {
  constexpr auto u64max = std::numeric_limits<std::uint64_t>::max();
  constexpr auto u32max = std::numeric_limits<std::uint32_t>::max();
  const wire_limits limits;
  for (const std::size_t n : {0u, 31u, 32u, 255u, 256u, 65535u, 65536u}) {
    BOOST_TEST_CONTEXT("strings of " << n) {
      wire_task t{
          {u64max, u64max, u64max}, u32max, u32max, u32max, u32max, text(n), text(n), u32max};
      BOOST_TEST(encoded_bytes(task_frame{}, t) <= cost_of(t, limits).bytes);

      wire_result r;
      r.key = {u64max, u64max, u64max};
      r.attempt = r.generation = u32max;
      r.outcome.kind = providers::outcome_kind::final;
      r.outcome.text = r.outcome.error = r.outcome.finish_reason = text(n);
      r.outcome.more_texts = {text(n), text(n), text(n)};
      r.outcome.http_status = std::numeric_limits<int>::min();
      r.outcome.prompt_tokens = r.outcome.completion_tokens = u64max;
      r.outcome.retry_after = std::chrono::milliseconds::max();
      r.latency_ms = 1e300;
      r.rate.limit_requests = r.rate.remaining_requests = r.rate.limit_tokens =
          r.rate.remaining_tokens = 1e300;
      r.rate.reset_requests = r.rate.reset_tokens = std::chrono::milliseconds::max();
      r.rate.reset_requests_header = "anthropic-ratelimit-requests-reset";
      r.rate.reset_tokens_header = "anthropic-ratelimit-input-tokens-reset";
      BOOST_TEST(encoded_bytes(result_frame{}, r) <= cost_of(r, limits).bytes);

      const input_line in{u64max, u64max, text(n), text(n)};
      BOOST_TEST(encoded_bytes(item_frame{u64max, {}, true, u64max}, in) <=
                 cost_of(in, limits).bytes);

      const item_line out{u64max, text(n), line_status::failed, u64max, u64max, u64max, u64max,
                          u64max, u64max};
      BOOST_TEST(encoded_bytes(line_frame{u64max, {}}, out) <= cost_of(out, limits).bytes);
    }
  }
}

// The bound is not so loose that frames come out half empty: a short task's estimate is
// within 64 bytes of what it takes.
BOOST_AUTO_TEST_CASE(an_estimate_is_close_for_small_entries) {
  const auto t = task(5, "hello");
  BOOST_TEST(cost_of(t, {}).bytes - encoded_bytes(task_frame{}, t) <= 64u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(splitting)

BOOST_AUTO_TEST_CASE(ten_thousand_tasks_come_out_in_order_in_decodable_frames) {
  task_frame all;
  for (std::uint64_t i = 0; i < 10000; ++i) {
    all.tasks.push_back(task(i, "Say hi to item " + std::to_string(i)));
  }
  const wire_limits limits;
  const auto s = encode_split(all, limits);
  BOOST_TEST(s.oversized.empty());
  // 4096 tasks per frame at most: 4096 + 4096 + 1808.
  BOOST_TEST_REQUIRE(s.frames.size() == 3u);
  BOOST_TEST(decoded<task_frame>(s.frames[0], limits).tasks.size() == 4096u);
  BOOST_TEST(decoded<task_frame>(s.frames[2], limits).tasks.size() == 1808u);
  BOOST_TEST(counters(s.frames, limits) == up_to(10000));
  // The prompts came through too.
  BOOST_TEST(decoded<task_frame>(s.frames[2], limits).tasks.back().prompt == "Say hi to item 9999");
}

BOOST_AUTO_TEST_CASE(string_heavy_tasks_split_by_bytes_under_the_default_limits) {
  task_frame all;
  for (std::uint64_t i = 0; i < 10000; ++i) all.tasks.push_back(task(i, text(4000)));
  const wire_limits limits;
  const auto s = encode_split(all, limits);
  BOOST_TEST(s.oversized.empty());
  // 40 MB of prompts over 16 MiB frames, fewer than 4096 tasks each.
  BOOST_TEST(s.frames.size() == 3u);
  for (const auto& f : s.frames) BOOST_TEST(f.size() <= limits.max_frame_bytes);
  BOOST_TEST(counters(s.frames, limits) == up_to(10000));
}

BOOST_AUTO_TEST_CASE(random_sizes_under_small_limits_fill_frames_and_keep_order) {
  wire_limits limits;
  limits.max_frame_bytes = 64 << 10;
  limits.max_items = 100;
  std::mt19937_64 rng(20261202);
  std::uniform_int_distribution<std::size_t> length(0, 3000);
  task_frame all;
  std::size_t total = 0;
  for (std::uint64_t i = 0; i < 2000; ++i) {
    all.tasks.push_back(task(i, text(length(rng))));
    total += all.tasks.back().prompt.size();
  }
  const auto s = encode_split(all, limits);
  BOOST_TEST(s.oversized.empty());
  BOOST_TEST(counters(s.frames, limits) == up_to(2000));
  // No frame but the last is less than half full: the estimate does not waste frames.
  for (std::size_t i = 0; i + 1 < s.frames.size(); ++i) {
    BOOST_TEST(s.frames[i].size() > limits.max_frame_bytes / 2);
  }
  BOOST_TEST(s.frames.size() <= 2 * total / limits.max_frame_bytes + 2);
}

BOOST_AUTO_TEST_CASE(many_values_split_by_the_value_budget) {
  wire_limits limits;
  limits.max_values = 2000;
  result_frame all;
  for (std::uint64_t i = 0; i < 100; ++i) {
    wire_result r;
    r.key = {1, 1, i};
    r.outcome.more_texts = std::vector<std::string>(100, "a");
    all.results.push_back(std::move(r));
  }
  const auto s = encode_split(all, limits);
  BOOST_TEST(s.oversized.empty());
  BOOST_TEST(s.frames.size() >= 7u);  // 127 values each: at most 15 per frame
  std::uint64_t next = 0;
  for (const auto& f : s.frames) {
    for (const auto& r : decoded<result_frame>(f, limits).results) {
      BOOST_TEST(r.key.counter == next++);
    }
  }
  BOOST_TEST(next == 100u);
}

BOOST_AUTO_TEST_CASE(an_entry_too_large_for_any_frame_is_handed_back) {
  wire_limits limits;
  limits.max_frame_bytes = 4096;
  task_frame all{{task(0, "a"), task(1, text(5000)), task(2, "b")}};
  const auto s = encode_split(all, limits);
  BOOST_TEST_REQUIRE(s.oversized.size() == 1u);
  BOOST_TEST(s.oversized[0].key.counter == 1u);
  BOOST_TEST(s.oversized[0].prompt.size() == 5000u);
  BOOST_TEST(counters(s.frames, limits) == std::vector<std::uint64_t>({0, 2}));
}

BOOST_AUTO_TEST_CASE(a_string_or_list_over_its_own_limit_is_handed_back) {
  wire_limits limits;
  limits.max_string_bytes = 100;
  limits.max_items = 10;
  line_frame lines{4, {item_line{0, text(100)}, item_line{1, text(101)}}};
  const auto sl = split(lines, limits);
  BOOST_TEST_REQUIRE(sl.oversized.size() == 1u);
  BOOST_TEST(sl.oversized[0].seq == 1u);
  BOOST_TEST_REQUIRE(sl.frames.size() == 1u);
  BOOST_TEST(sl.frames[0].lines.size() == 1u);

  wire_result many;
  many.outcome.more_texts = std::vector<std::string>(20, "a");
  const auto sr = split(result_frame{{many, wire_result{}}}, limits);
  BOOST_TEST(sr.oversized.size() == 1u);
  BOOST_TEST(sr.frames.size() == 1u);
  // Unsplit, the receiver would have refused the whole frame.
  BOOST_TEST(!decode(encode(result_frame{{many}}), limits).has_value());
}

BOOST_AUTO_TEST_CASE(items_end_on_the_last_frame_and_skip_on_the_first) {
  wire_limits limits;
  limits.max_items = 2;
  item_frame all{9, {}, true, 40};
  for (std::uint64_t i = 0; i < 5; ++i) all.items.push_back(input_line{i, i + 1, "{}", ""});
  all.items[3].error = "line 4: duplicate id 1";
  const auto s = encode_split(all, limits);
  BOOST_TEST_REQUIRE(s.frames.size() == 3u);
  std::uint64_t next = 0;
  for (std::size_t i = 0; i < s.frames.size(); ++i) {
    const auto f = decoded<item_frame>(s.frames[i], limits);
    BOOST_TEST(f.batch == 9u);
    BOOST_TEST(f.end_of_input == (i == 2));
    BOOST_TEST(f.skipped == (i == 0 ? 40u : 0u));
    for (const auto& item : f.items) BOOST_TEST(item.seq == next++);
  }
  BOOST_TEST(next == 5u);
  BOOST_TEST(decoded<item_frame>(s.frames[1], limits).items[1].error == "line 4: duplicate id 1");
}

BOOST_AUTO_TEST_CASE(an_empty_list_gives_no_frame_but_items_still_end) {
  BOOST_TEST(split(task_frame{}).frames.empty());
  BOOST_TEST(split(result_frame{}).frames.empty());
  BOOST_TEST(split(line_frame{3, {}}).frames.empty());
  const auto s = split(item_frame{3, {}, true, 7});
  BOOST_TEST_REQUIRE(s.frames.size() == 1u);
  BOOST_TEST(s.frames[0].end_of_input);
  BOOST_TEST(s.frames[0].skipped == 7u);
  // Every item oversized: the end still travels.
  wire_limits limits;
  limits.max_string_bytes = 1;
  const auto all_out = split(item_frame{3, {input_line{0, 1, "{}", ""}}, true, 0}, limits);
  BOOST_TEST(all_out.oversized.size() == 1u);
  BOOST_TEST_REQUIRE(all_out.frames.size() == 1u);
  BOOST_TEST(all_out.frames[0].items.empty());
  BOOST_TEST(all_out.frames[0].end_of_input);
}

BOOST_AUTO_TEST_CASE(output_lines_keep_their_batch_on_every_frame) {
  wire_limits limits;
  limits.max_items = 3;
  line_frame all{12, {}};
  for (std::uint64_t i = 0; i < 7; ++i) {
    all.lines.push_back(item_line{i, "{}", line_status::partial, i, i, i});
  }
  const auto s = encode_split(all, limits);
  BOOST_TEST_REQUIRE(s.frames.size() == 3u);
  std::uint64_t next = 0;
  for (const auto& bytes : s.frames) {
    const auto f = decoded<line_frame>(bytes, limits);
    BOOST_TEST(f.batch == 12u);
    for (const auto& l : f.lines) {
      BOOST_TEST(l.seq == next);
      BOOST_TEST(l.latency_us == next++);
    }
  }
  BOOST_TEST(next == 7u);
}

BOOST_AUTO_TEST_CASE(the_plan_cuts_on_whichever_budget_runs_out_first) {
  const frame_budget budget{3, 100, 1000};
  const std::vector<std::size_t> sizes{40, 40, 40, 10, 10, 10, 10, 200, 5};
  const auto plan = plan_split(
      sizes,
      [](std::size_t b) {
        return entry_cost{b, 1, true};
      },
      budget);
  const std::vector<std::vector<std::size_t>> want{{0, 1}, {2, 3, 4}, {5, 6, 8}};
  BOOST_TEST((plan.chunks == want));
  BOOST_TEST(plan.oversized == std::vector<std::size_t>({7}));
}

BOOST_AUTO_TEST_SUITE_END()
