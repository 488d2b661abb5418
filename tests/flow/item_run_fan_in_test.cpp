#define BOOST_TEST_MODULE item_run_fan_in
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "flow/item_run.hpp"
#include "item_driver.hpp"
#include "job_builders.hpp"

using namespace parallm::flow;
using namespace parallm::flow::testing;
using nlohmann::json;
using parallm::config::reducer_kind;

BOOST_AUTO_TEST_SUITE(voting)

parallm::config::job vote_job(int samples, int quorum) {
  auto verdict = reduce("verdict", reducer_kind::vote, {"label"});
  verdict.quorum = quorum;
  verdict.min_success = 1;
  return make_job({llm("label", "Is {{text}} spam?", samples), verdict}, "verdict");
}

BOOST_AUTO_TEST_CASE(samples_make_one_call_each_with_the_same_prompt) {
  item it(vote_job(5, 3), json{{"text", "BUY NOW"}});
  BOOST_REQUIRE(it.calls.size() == 5u);
  for (std::uint32_t i = 0; i < 5; ++i) {
    BOOST_TEST(it.calls[i].node == 0u);
    BOOST_TEST(it.calls[i].element == i);
    BOOST_TEST(it.calls[i].prompt == "Is BUY NOW spam?");
  }
}

BOOST_AUTO_TEST_CASE(the_quorum_winner_is_the_output) {
  item it(vote_job(5, 3), json{{"text", "BUY NOW"}});
  const char* answers[] = {"Yes", "no", "yes", "No", " YES "};
  for (std::uint32_t i = 5; i-- > 0;) {
    auto r = success(answers[i], 10, 1);
    r.latency_ms = 100.0 + i;
    it.answer(0, i, r);
  }
  BOOST_REQUIRE(it.run.done());
  const auto line = it.line();
  BOOST_TEST(line["status"] == "ok");
  BOOST_TEST(line["output"] == "Yes");
  BOOST_TEST(line["nodes"]["verdict"]["votes"] == (json{{"yes", 3}, {"no", 2}}));
  const auto& label = line["nodes"]["label"];
  BOOST_TEST(label["output"] == json::array({"Yes", "no", "yes", "No", " YES "}));
  BOOST_TEST(label["attempts"] == 5);
  BOOST_TEST(label["latency_ms"] == 104);
  BOOST_TEST(label["usage"] == (json{{"prompt_tokens", 50}, {"completion_tokens", 5}}));
  BOOST_TEST(!label.contains("errors"));
  BOOST_TEST(line["usage"]["total_tokens"] == 55);
  const auto text = it.run.output_line("7", 1);
  BOOST_TEST(text.find(R"("votes":{"yes":3,"no":2})") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_missed_quorum_fails_the_item) {
  item it(vote_job(5, 3), json{{"text", "t"}});
  const char* answers[] = {"yes", "no", "maybe", "no", "yes"};
  for (std::uint32_t i = 0; i < 5; ++i) it.answer(0, i, success(answers[i]));
  BOOST_REQUIRE(it.run.done());
  const auto line = it.line();
  BOOST_TEST(line["status"] == "failed");
  BOOST_TEST(line["error"] ==
             "node 'verdict': no quorum: 'yes' has 2 votes, quorum is 3 (votes: yes 2, no 2, "
             "maybe 1)");
  BOOST_TEST(line["nodes"]["verdict"]["votes"] == (json{{"yes", 2}, {"no", 2}, {"maybe", 1}}));
}

BOOST_AUTO_TEST_CASE(failed_samples_are_listed_and_the_list_node_is_partial) {
  auto job = vote_job(3, 0);
  job.nodes[0].min_success = 2;
  item it(job, json{{"text", "t"}});
  it.answer(0, 0, success("yes"));
  it.answer(0, 1, failure("http 500"));
  it.answer(0, 2, success("no"));
  BOOST_REQUIRE(it.run.done());
  const auto line = it.line();
  BOOST_TEST(line["status"] == "partial");
  BOOST_TEST(line["output"] == "yes");
  const auto& label = line["nodes"]["label"];
  BOOST_TEST(label["status"] == "partial");
  BOOST_TEST(label["output"] == json::array({"yes", "no"}));
  BOOST_TEST(label["errors"] == json::array({"1: http 500"}));
  BOOST_TEST(label["error"] == "2 of 3 branches succeeded, min_success 2: 1: http 500");
  BOOST_TEST(line["nodes"]["verdict"]["status"] == "partial");
  BOOST_TEST(line["nodes"]["verdict"]["error"] ==
             "2 of 3 branches succeeded, min_success 1: label[1]: http 500");
}

BOOST_AUTO_TEST_CASE(too_many_failed_samples_fail_the_list_node) {
  auto job = vote_job(3, 0);
  job.nodes[0].min_success = 2;
  item it(job, json{{"text", "t"}});
  it.answer(0, 0, failure("a"));
  it.answer(0, 1, failure("b"));
  it.answer(0, 2, success("yes"));
  BOOST_REQUIRE(it.run.done());
  const auto line = it.line();
  BOOST_TEST(line["nodes"]["label"]["status"] == "failed");
  BOOST_TEST(line["nodes"]["label"]["output"].is_null());
  BOOST_TEST(line["nodes"]["label"]["errors"] == json::array({"0: a", "1: b"}));
  // The vote still sees every sample: its own policy (min_success 1) decides.
  BOOST_TEST(line["nodes"]["verdict"]["status"] == "partial");
  BOOST_TEST(line["output"] == "yes");
}

BOOST_AUTO_TEST_CASE(max_and_min_skip_answers_that_are_not_numbers) {
  auto hi = reduce("hi", reducer_kind::max, {"score"});
  hi.min_success = 2;
  auto lo = reduce("lo", reducer_kind::min, {"score"});
  item it(make_job({llm("score", "rate {{x}}", 3), hi, lo}, "hi"), json{{"x", 1}});
  BOOST_TEST(it.calls[0].prompt == "rate 1");
  it.answer(0, 0, success(" 7 "));
  it.answer(0, 1, success("abc"));
  it.answer(0, 2, success("3.5"));
  BOOST_REQUIRE(it.run.done());
  const auto line = it.line();
  BOOST_TEST(line["output"] == "7");
  BOOST_TEST(line["nodes"]["hi"]["status"] == "partial");
  BOOST_TEST(line["nodes"]["hi"]["error"] ==
             "2 of 3 branches succeeded, min_success 2: score[1]: not a number: 'abc'");
  BOOST_TEST(line["nodes"]["lo"]["status"] == "failed");
  BOOST_TEST(line["status"] == "partial");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(samples_with_n)

parallm::config::job n_job(int samples, int quorum) {
  auto job = voting::vote_job(samples, quorum);
  job.provider.kind = parallm::config::provider_kind::openai;
  job.provider.supports_n = true;
  return job;
}

call_result choices(std::vector<std::string> texts, std::uint64_t prompt_tokens,
                    std::uint64_t completion_tokens) {
  auto r = success(texts.front(), prompt_tokens, completion_tokens);
  r.more_texts.assign(texts.begin() + 1, texts.end());
  r.attempts = 2;
  r.latency_ms = 40;
  return r;
}

BOOST_AUTO_TEST_CASE(all_samples_are_one_call_standing_for_every_element) {
  item it(n_job(4, 3), json{{"text", "BUY NOW"}});
  BOOST_REQUIRE(it.calls.size() == 1u);
  BOOST_TEST(it.calls[0].node == 0u);
  BOOST_TEST(it.calls[0].element == 0u);
  BOOST_TEST(it.calls[0].count == 4u);
  BOOST_TEST(it.calls[0].prompt == "Is BUY NOW spam?");
  BOOST_TEST(it.answer(0, 0, choices({"yes", "no", "Yes ", "yes"}, 9, 4)).empty());
  BOOST_REQUIRE(it.run.done());
  const auto line = it.line();
  BOOST_TEST(line["status"] == "ok");
  BOOST_TEST(line["output"] == "yes");
  const auto& label = line["nodes"]["label"];
  BOOST_TEST(label["output"] == json::array({"yes", "no", "Yes ", "yes"}));
  // One request: its attempts, latency and usage count once, not once per sample.
  BOOST_TEST(label["attempts"] == 2);
  BOOST_TEST(label["latency_ms"] == 40);
  BOOST_TEST(label["usage"] == (json{{"prompt_tokens", 9}, {"completion_tokens", 4}}));
  BOOST_TEST(line["usage"]["total_tokens"] == 13);
}

BOOST_AUTO_TEST_CASE(missing_choices_fail_the_elements_they_leave_empty) {
  auto job = n_job(3, 0);
  job.nodes[0].min_success = 1;
  item it(job, json{{"text", "t"}});
  it.answer(0, 0, choices({"a", "b"}, 1, 1));
  BOOST_REQUIRE(it.run.done());
  const auto line = it.line();
  const auto& label = line["nodes"]["label"];
  BOOST_TEST(label["status"] == "partial");
  BOOST_TEST(label["output"] == json::array({"a", "b"}));
  BOOST_TEST(label["errors"] == json::array({"2: the endpoint returned 2 of 3 choices"}));
  BOOST_TEST(line["status"] == "partial");
}

BOOST_AUTO_TEST_CASE(a_failed_call_fails_every_sample_once) {
  item it(n_job(3, 0), json{{"text", "t"}});
  auto failed = failure("HTTP 400: n is not supported");
  failed.attempts = 1;
  it.answer(0, 0, failed);
  BOOST_REQUIRE(it.run.done());
  const auto line = it.line();
  BOOST_TEST(line["status"] == "failed");
  const auto& label = line["nodes"]["label"];
  BOOST_TEST(label["status"] == "failed");
  BOOST_TEST(label["attempts"] == 1);
  BOOST_TEST(label["errors"] ==
             json::array({"0: HTTP 400: n is not supported", "1: HTTP 400: n is not supported",
                          "2: HTTP 400: n is not supported"}));
}

BOOST_AUTO_TEST_CASE(late_duplicates_and_other_elements_are_ignored) {
  item it(n_job(2, 0), json{{"text", "t"}});
  it.answer(0, 1, success("stray"));
  BOOST_TEST(!it.run.done());
  it.answer(0, 0, choices({"x", "x"}, 1, 1));
  it.answer(0, 0, choices({"y", "y"}, 1, 1));
  BOOST_REQUIRE(it.run.done());
  const auto line = it.line();
  BOOST_TEST(line["nodes"]["label"]["output"] == json::array({"x", "x"}));
  BOOST_TEST(line["nodes"]["label"]["attempts"] == 2);
}

BOOST_AUTO_TEST_CASE(one_sample_or_a_provider_without_n_keeps_one_call_per_sample) {
  item single(n_job(1, 0), json{{"text", "t"}});
  BOOST_REQUIRE(single.calls.size() == 1u);
  BOOST_TEST(single.calls[0].count == 1u);

  auto job = n_job(3, 0);
  auto own = job.provider;
  own.supports_n = false;
  job.nodes[0].provider = own;
  item it(job, json{{"text", "t"}});
  BOOST_REQUIRE(it.calls.size() == 3u);
  for (std::uint32_t i = 0; i < 3; ++i) {
    BOOST_TEST(it.calls[i].element == i);
    BOOST_TEST(it.calls[i].count == 1u);
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(map_reduce)

parallm::config::job map_reduce_job() {
  auto final_step = llm("final", "Combine:\n{{summary}}");
  final_step.after = {"summary"};
  return make_job(
      {split("chunks", "document"),
       map_over("summary", "chunks", "Summarize part {{item_index}}: {{item}}"), final_step},
      "final");
}

BOOST_AUTO_TEST_CASE(split_then_one_call_per_chunk_then_the_llm_reduce) {
  item it(map_reduce_job(), json{{"document", "First para.\n\nSecond para.\n\n\nThird."}});
  BOOST_REQUIRE(it.calls.size() == 3u);
  BOOST_TEST(it.calls[0].node == 1u);
  BOOST_TEST(it.calls[0].prompt == "Summarize part 0: First para.");
  BOOST_TEST(it.calls[1].element == 1u);
  BOOST_TEST(it.calls[1].prompt == "Summarize part 1: Second para.");
  BOOST_TEST(it.calls[2].prompt == "Summarize part 2: Third.");

  BOOST_TEST(it.answer(1, 2, success("S3", 5, 1)).empty());
  BOOST_TEST(it.answer(1, 0, success("S1", 5, 1)).empty());
  const auto next = it.answer(1, 1, success("S2", 5, 1));
  BOOST_REQUIRE(next.size() == 1u);
  BOOST_TEST(next[0].node == 2u);
  BOOST_TEST(next[0].element == 0u);
  BOOST_TEST(next[0].prompt == "Combine:\nS1\n\nS2\n\nS3");
  BOOST_TEST(!it.run.done());

  it.answer(2, 0, success("ALL", 20, 3));
  BOOST_REQUIRE(it.run.done());
  const auto line = it.line();
  BOOST_TEST(line["status"] == "ok");
  BOOST_TEST(line["output"] == "ALL");
  BOOST_TEST(
      line["nodes"]["chunks"] ==
      (json{{"status", "ok"}, {"output", json::array({"First para.", "Second para.", "Third."})}}));
  BOOST_TEST(line["nodes"]["summary"]["output"] == json::array({"S1", "S2", "S3"}));
  BOOST_TEST(line["usage"] ==
             (json{{"prompt_tokens", 35}, {"completion_tokens", 6}, {"total_tokens", 41}}));
}

BOOST_AUTO_TEST_CASE(an_empty_document_maps_over_nothing) {
  item it(map_reduce_job(), json{{"document", "  \n\n "}});
  BOOST_REQUIRE(it.calls.size() == 1u);
  BOOST_TEST(it.calls[0].node == 2u);
  BOOST_TEST(it.calls[0].prompt == "Combine:\n");
  it.answer(2, 0, success("nothing"));
  const auto line = it.line();
  BOOST_TEST(line["status"] == "ok");
  BOOST_TEST(line["nodes"]["summary"] == (json{{"status", "ok"}, {"output", json::array()}}));
}

BOOST_AUTO_TEST_CASE(a_list_of_strings_is_taken_as_the_chunks) {
  item it(map_reduce_job(), json{{"document", json::array({"a. b.", "c"})}});
  BOOST_REQUIRE(it.calls.size() == 2u);
  BOOST_TEST(it.calls[0].prompt == "Summarize part 0: a. b.");
}

BOOST_AUTO_TEST_CASE(a_split_can_read_a_dotted_field_and_respects_max_chars) {
  auto job = map_reduce_job();
  job.nodes[0].split_source = "doc.body";
  job.nodes[0].by = parallm::config::split_by::sentence;
  job.nodes[0].max_chars = 12;
  item it(job, json{{"doc", {{"body", "One two. Three four. Five."}}}});
  BOOST_REQUIRE(it.calls.size() == 3u);
  BOOST_TEST(it.calls[1].prompt == "Summarize part 1: Three four.");
}

BOOST_AUTO_TEST_CASE(a_missing_document_fails_every_step_downstream) {
  item it(map_reduce_job(), json{{"title", "x"}});
  BOOST_TEST(it.calls.empty());
  BOOST_REQUIRE(it.run.done());
  const auto line = it.line();
  BOOST_TEST(line["nodes"]["chunks"]["error"] == "missing field 'document'");
  BOOST_TEST(line["nodes"]["summary"]["error"] == "upstream node 'chunks' failed");
  BOOST_TEST(line["nodes"]["final"]["error"] ==
             "0 of 1 branches succeeded, min_success 1: summary: upstream node 'chunks' failed");
  BOOST_TEST(line["status"] == "failed");
}

BOOST_AUTO_TEST_CASE(a_document_of_the_wrong_type_fails_the_split) {
  for (const auto& bad : {json(42), json::array({"ok", 1}), json{{"k", "v"}}}) {
    item it(map_reduce_job(), json{{"document", bad}});
    BOOST_TEST(it.run.done());
    BOOST_TEST(it.line()["nodes"]["chunks"]["error"] ==
               "field 'document' is not a string or a list of strings");
  }
}

BOOST_AUTO_TEST_CASE(failed_chunks_reach_the_llm_reduce_under_its_policy) {
  auto job = map_reduce_job();
  job.nodes[1].min_success = 1;
  job.nodes[2].min_success = 1;
  item it(job, json{{"document", json::array({"a", "b"})}});
  it.answer(1, 0, failure("timeout"));
  const auto next = it.answer(1, 1, success("B"));
  BOOST_REQUIRE(next.size() == 1u);
  BOOST_TEST(next[0].prompt == "Combine:\nB");
  it.answer(2, 0, success("done"));
  const auto line = it.line();
  BOOST_TEST(line["status"] == "partial");
  BOOST_TEST(line["nodes"]["final"]["status"] == "partial");
  BOOST_TEST(line["nodes"]["final"]["output"] == "done");
  BOOST_TEST(line["nodes"]["summary"]["errors"] == json::array({"0: timeout"}));
}

BOOST_AUTO_TEST_CASE(an_llm_reducer_sees_its_branches_and_the_item_fields) {
  auto arbiter = reduce("arbiter", reducer_kind::llm, {"pro", "con"});
  arbiter.prompt = "On {{topic}}: {{pro}} vs {{con}}";
  arbiter.system = "{{style}}";
  item it(
      make_job({llm("pro", "for {{topic}}"), llm("con", "against {{topic}}"), arbiter}, "arbiter"),
      json{{"topic", "tabs"}, {"style", "terse"}});
  BOOST_TEST(it.calls.size() == 2u);
  BOOST_TEST(it.answer(1, 0, success("C")).empty());
  const auto next = it.answer(0, 0, success("P"));
  BOOST_REQUIRE(next.size() == 1u);
  BOOST_TEST(next[0].prompt == "On tabs: P vs C");
  BOOST_TEST(next[0].system == "terse");
  it.answer(2, 0, success("tabs win"));
  BOOST_TEST(it.line()["output"] == "tabs win");
}

BOOST_AUTO_TEST_CASE(an_llm_reducer_with_a_missing_variable_makes_no_call) {
  auto arbiter = reduce("arbiter", reducer_kind::llm, {"pro"});
  arbiter.prompt = "{{pro}} {{unknown}}";
  item it(make_job({llm("pro", "p"), arbiter}, "arbiter"), json::object());
  BOOST_TEST(it.answer(0, 0, success("P")).empty());
  BOOST_REQUIRE(it.run.done());
  BOOST_TEST(it.line()["error"] == "node 'arbiter': missing template variable 'unknown'");
}

BOOST_AUTO_TEST_CASE(foreach_exposes_item_and_item_index_to_the_system_prompt_too) {
  auto each = map_over("each", "parts", "{{item}}");
  each.system = "part {{item_index}} of {{title}}";
  item it(make_job({split("parts", "text"), each}, "each"),
          json{{"text", "a\n\nb"}, {"title", "T"}});
  BOOST_REQUIRE(it.calls.size() == 2u);
  BOOST_TEST(it.calls[1].prompt == "b");
  BOOST_TEST(it.calls[1].system == "part 1 of T");
}

BOOST_AUTO_TEST_CASE(a_missing_variable_in_one_chunk_makes_no_call_at_all) {
  item it(make_job({split("parts", "text"), map_over("each", "parts", "{{item.name}}")}, "each"),
          json{{"text", json::array({"a", "b"})}});
  BOOST_TEST(it.calls.empty());
  BOOST_REQUIRE(it.run.done());
  BOOST_TEST(it.line()["error"] == "node 'each': missing template variable 'item.name'");
}

BOOST_AUTO_TEST_CASE(a_failed_llm_reduce_call_fails_the_item) {
  item it(map_reduce_job(), json{{"document", "only"}});
  it.answer(1, 0, success("S"));
  it.answer(2, 0, failure("http 400: bad request"));
  const auto line = it.line();
  BOOST_TEST(line["status"] == "failed");
  BOOST_TEST(line["error"] == "node 'final': http 400: bad request");
}

BOOST_AUTO_TEST_CASE(a_split_over_a_node_output_cascades_after_its_call) {
  auto pieces = split("pieces", "draft", parallm::config::split_by::sentence);
  auto all = reduce("all", reducer_kind::concat, {"pieces"});
  all.separator = "|";
  item it(make_job({llm("draft", "d"), pieces, all}, "all"), json::object());
  BOOST_TEST(it.calls.size() == 1u);
  BOOST_TEST(it.answer(0, 0, success("One. Two! Three")).empty());
  BOOST_REQUIRE(it.run.done());
  BOOST_TEST(it.line()["output"] == "One.|Two!|Three");
}

BOOST_AUTO_TEST_CASE(nodes_without_calls_settle_inside_start) {
  auto all = reduce("all", reducer_kind::collect, {"parts"});
  item it(make_job({split("parts", "text"), all}, "all"), json{{"text", "a\n\nb"}});
  BOOST_TEST(it.calls.empty());
  BOOST_REQUIRE(it.run.done());
  BOOST_TEST(it.line()["output"] == (json{{"parts", {"a", "b"}}}));
}

BOOST_AUTO_TEST_SUITE_END()
