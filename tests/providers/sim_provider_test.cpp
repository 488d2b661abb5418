#define BOOST_TEST_MODULE sim_provider
#include <boost/test/unit_test.hpp>

#include <set>
#include <string>
#include <vector>

#include "providers/sim_provider.hpp"

using parallm::config::sim_failure;
using parallm::config::sim_options;
using parallm::providers::outcome_kind;
using parallm::providers::sim_call;

BOOST_TEST_DONT_PRINT_LOG_VALUE(parallm::providers::outcome_kind)

namespace {

std::string prompt_number(int i) {
  return "Classify review number " + std::to_string(i);
}

sim_options failing(double rate, sim_failure status = sim_failure::http_500) {
  sim_options options;
  options.fail_rate = rate;
  options.fail_status = status;
  return options;
}

}  // namespace

BOOST_AUTO_TEST_CASE(same_inputs_give_the_same_answer) {
  sim_options options;
  options.seed = 42;
  const auto a = sim_call(options, "Write a joke about cats", 0, 1);
  const auto b = sim_call(options, "Write a joke about cats", 0, 1);
  BOOST_TEST(a.outcome.text == b.outcome.text);
  BOOST_TEST(a.delay.count() == b.delay.count());
}

BOOST_AUTO_TEST_CASE(the_answer_is_pinned_across_machines) {
  // A fixed hash, not std::hash: this exact text must never change between builds.
  const auto answer = sim_call(sim_options{}, "Write a joke about cats", 0, 1);
  BOOST_TEST(answer.outcome.text == "sim[ba65b37f]: Write a joke about cats");
}

BOOST_AUTO_TEST_CASE(answer_echoes_the_flattened_prompt) {
  const auto answer = sim_call(sim_options{}, "  Summarize:\n\nthe\tfirst   part\n", 0, 1);
  const auto& text = answer.outcome.text;
  BOOST_TEST(answer.outcome.kind == outcome_kind::ok);
  BOOST_TEST(text.rfind("sim[", 0) == 0);
  BOOST_TEST(text.substr(12, 2) == "]:");
  BOOST_TEST(text.substr(14) == " Summarize: the first part");
}

BOOST_AUTO_TEST_CASE(answer_echoes_at_most_twelve_words) {
  const auto answer = sim_call(sim_options{}, "a b c d e f g h i j k l m n o p", 0, 1);
  BOOST_TEST(answer.outcome.text.substr(14) == " a b c d e f g h i j k l");
  BOOST_TEST(answer.outcome.completion_tokens == 13U);
}

BOOST_AUTO_TEST_CASE(seed_and_sample_change_the_draw) {
  sim_options options;
  const auto first = sim_call(options, "same prompt", 0, 1).outcome.text;
  BOOST_TEST(sim_call(options, "same prompt", 1, 1).outcome.text != first);
  options.seed = 7;
  BOOST_TEST(sim_call(options, "same prompt", 0, 1).outcome.text != first);
}

BOOST_AUTO_TEST_CASE(samples_vote_differently) {
  sim_options options;
  options.choices = {"yes", "no"};
  std::set<std::string> seen;
  for (std::uint32_t sample = 0; sample < 16; ++sample) {
    seen.insert(sim_call(options, "Is the sky blue?", sample, 1).outcome.text);
  }
  BOOST_TEST(seen.size() == 2U);
}

BOOST_AUTO_TEST_CASE(retries_keep_the_same_answer) {
  sim_options options;
  options.choices = {"a", "b", "c", "d", "e"};
  for (int i = 0; i < 50; ++i) {
    const auto prompt = prompt_number(i);
    BOOST_TEST(sim_call(options, prompt, 3, 1).outcome.text ==
               sim_call(options, prompt, 3, 4).outcome.text);
  }
}

BOOST_AUTO_TEST_CASE(weighted_choices_follow_the_weights) {
  sim_options options;
  options.choices = {"positive", "negative", "neutral"};
  options.weights = {0.6, 0.3, 0.1};
  std::vector<int> counts(3, 0);
  const int n = 10000;
  for (int i = 0; i < n; ++i) {
    const auto text = sim_call(options, prompt_number(i), 0, 1).outcome.text;
    for (std::size_t c = 0; c < options.choices.size(); ++c) {
      if (text == options.choices[c]) ++counts[c];
    }
  }
  BOOST_TEST(counts[0] + counts[1] + counts[2] == n);
  BOOST_TEST(counts[0] > 5700);
  BOOST_TEST(counts[0] < 6300);
  BOOST_TEST(counts[1] > 2700);
  BOOST_TEST(counts[1] < 3300);
  BOOST_TEST(counts[2] > 800);
  BOOST_TEST(counts[2] < 1200);
}

BOOST_AUTO_TEST_CASE(empty_weights_are_uniform_and_zero_weights_never_win) {
  sim_options options;
  options.choices = {"x", "y"};
  int x = 0;
  for (int i = 0; i < 4000; ++i) x += sim_call(options, prompt_number(i), 0, 1).outcome.text == "x";
  BOOST_TEST(x > 1800);
  BOOST_TEST(x < 2200);

  options.weights = {0.0, 1.0};
  for (int i = 0; i < 500; ++i) {
    BOOST_TEST(sim_call(options, prompt_number(i), 0, 1).outcome.text == "y");
  }
}

BOOST_AUTO_TEST_CASE(tokens_count_words) {
  const auto answer = sim_call(sim_options{}, "one two\nthree\t four", 0, 1);
  BOOST_TEST(answer.outcome.prompt_tokens == 4U);
  BOOST_TEST(answer.outcome.completion_tokens == 5U);  // the sim[...] tag is a word

  BOOST_TEST(sim_call(sim_options{}, "", 0, 1).outcome.prompt_tokens == 1U);
  BOOST_TEST(sim_call(sim_options{}, " \n ", 0, 1).outcome.prompt_tokens == 1U);

  sim_options options;
  options.choices = {"very positive"};
  BOOST_TEST(sim_call(options, "x", 0, 1).outcome.completion_tokens == 2U);
}

BOOST_AUTO_TEST_CASE(max_tokens_truncates_the_answer) {
  const auto three = sim_call(sim_options{}, "alpha beta gamma delta", 0, 1, 3);
  BOOST_TEST(three.outcome.text.substr(14) == " alpha beta");
  BOOST_TEST(three.outcome.completion_tokens == 3U);

  const auto one = sim_call(sim_options{}, "alpha beta gamma delta", 0, 1, 1);
  BOOST_TEST(one.outcome.completion_tokens == 1U);
  BOOST_TEST(one.outcome.text.size() == 14U);

  BOOST_TEST(sim_call(sim_options{}, "alpha", 0, 1, 0).outcome.text.empty());

  sim_options options;
  options.choices = {"quite   positive\noverall"};
  const auto choice = sim_call(options, "x", 0, 1, 2);
  BOOST_TEST(choice.outcome.text == "quite positive");
  BOOST_TEST(choice.outcome.completion_tokens == 2U);
}

BOOST_AUTO_TEST_CASE(fail_rate_zero_never_fails) {
  const auto options = failing(0.0);
  for (int i = 0; i < 1000; ++i) {
    BOOST_TEST_REQUIRE(sim_call(options, prompt_number(i), 0, 1).outcome.kind == outcome_kind::ok);
  }
}

BOOST_AUTO_TEST_CASE(fail_rate_one_always_fails_without_text) {
  const auto options = failing(1.0);
  for (int i = 0; i < 1000; ++i) {
    const auto answer =
        sim_call(options, prompt_number(i), 0, static_cast<std::uint32_t>(i % 5 + 1));
    BOOST_TEST_REQUIRE(answer.outcome.kind == outcome_kind::retryable);
    BOOST_TEST_REQUIRE(answer.outcome.text.empty());
    BOOST_TEST_REQUIRE(answer.outcome.completion_tokens == 0U);
    BOOST_TEST_REQUIRE(answer.outcome.prompt_tokens == 4U);
  }
}

BOOST_AUTO_TEST_CASE(fail_rate_is_roughly_honoured) {
  const auto options = failing(0.3);
  int failures = 0;
  for (int i = 0; i < 10000; ++i) {
    failures += sim_call(options, prompt_number(i), 0, 1).outcome.kind != outcome_kind::ok;
  }
  BOOST_TEST(failures > 2700);
  BOOST_TEST(failures < 3300);
}

BOOST_AUTO_TEST_CASE(a_retry_draws_failure_anew) {
  const auto options = failing(0.5);
  int recovered = 0;
  int failed_first = 0;
  for (int i = 0; i < 200; ++i) {
    const auto prompt = prompt_number(i);
    if (sim_call(options, prompt, 0, 1).outcome.kind == outcome_kind::ok) continue;
    ++failed_first;
    recovered += sim_call(options, prompt, 0, 2).outcome.kind == outcome_kind::ok;
  }
  BOOST_TEST(failed_first > 50);
  BOOST_TEST(recovered > 20);
  BOOST_TEST(recovered < failed_first);
}

BOOST_AUTO_TEST_CASE(fail_status_maps_to_a_retryable_outcome) {
  const auto too_many = sim_call(failing(1.0, sim_failure::http_429), "p", 0, 1).outcome;
  BOOST_TEST(too_many.kind == outcome_kind::retryable);
  BOOST_TEST(too_many.http_status == 429);
  BOOST_TEST(too_many.error == "sim: HTTP 429 Too Many Requests");

  const auto server = sim_call(failing(1.0, sim_failure::http_500), "p", 0, 1).outcome;
  BOOST_TEST(server.kind == outcome_kind::retryable);
  BOOST_TEST(server.http_status == 500);
  BOOST_TEST(server.error == "sim: HTTP 500 Internal Server Error");

  const auto timeout = sim_call(failing(1.0, sim_failure::timeout), "p", 0, 1).outcome;
  BOOST_TEST(timeout.kind == outcome_kind::retryable);
  BOOST_TEST(timeout.http_status == 0);
  BOOST_TEST(timeout.error == "sim: timeout");
}

BOOST_AUTO_TEST_CASE(success_carries_no_error) {
  const auto outcome = sim_call(sim_options{}, "p", 0, 1).outcome;
  BOOST_TEST(outcome.error.empty());
  BOOST_TEST(outcome.http_status == 0);
  BOOST_TEST(!outcome.retry_after.has_value());
}

BOOST_AUTO_TEST_CASE(latency_without_jitter_is_exact) {
  sim_options options;
  options.latency_ms = 20;
  BOOST_TEST(sim_call(options, "p", 0, 1).delay.count() == 20000);
  options.latency_ms = 0.25;
  BOOST_TEST(sim_call(options, "p", 0, 1).delay.count() == 250);
  BOOST_TEST(sim_call(sim_options{}, "p", 0, 1).delay.count() == 0);
}

BOOST_AUTO_TEST_CASE(jitter_stays_in_bounds_and_varies_by_attempt) {
  sim_options options;
  options.latency_ms = 20;
  options.jitter_ms = 10;
  std::set<long> delays;
  for (std::uint32_t attempt = 1; attempt <= 200; ++attempt) {
    const auto delay = sim_call(options, "p", 0, attempt).delay.count();
    BOOST_TEST_REQUIRE(delay >= 20000);
    BOOST_TEST_REQUIRE(delay <= 30000);
    delays.insert(static_cast<long>(delay));
  }
  BOOST_TEST(delays.size() > 150U);
  BOOST_TEST(*delays.begin() < 21000);
  BOOST_TEST(*delays.rbegin() > 29000);
}

BOOST_AUTO_TEST_CASE(an_answer_cut_by_max_tokens_says_length) {
  sim_options options;
  const auto cut = sim_call(options, "one two three four five six", 0, 1, 3);
  BOOST_TEST(cut.outcome.completion_tokens == 3u);
  BOOST_TEST(cut.outcome.finish_reason == "length");
  const auto whole = sim_call(options, "one two", 0, 1, 50);
  BOOST_TEST(whole.outcome.finish_reason == "stop");
  BOOST_TEST(sim_call(options, "one two", 0, 1).outcome.finish_reason == "stop");
}
