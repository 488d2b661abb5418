#define BOOST_TEST_MODULE item_run
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include "flow/item_run.hpp"
#include "job_builders.hpp"

using namespace parallm::flow;
using namespace parallm::flow::testing;
using nlohmann::json;
using parallm::config::reducer_kind;

namespace {

call_result success(std::string text, std::uint64_t prompt_tokens = 0,
                    std::uint64_t completion_tokens = 0) {
  call_result r;
  r.ok = true;
  r.text = std::move(text);
  r.prompt_tokens = prompt_tokens;
  r.completion_tokens = completion_tokens;
  return r;
}

call_result failure(std::string error) {
  call_result r;
  r.ok = false;
  r.error = std::move(error);
  return r;
}

// One item over one job: the calls it asked for so far, and a way to answer them.
struct item {
  std::shared_ptr<const graph> g;
  item_run run;
  std::vector<call_request> calls;

  item(const parallm::config::job& job, json fields)
      : g(graph::compile(job)), run(*g, std::move(fields)) {
    run.start(calls);
  }

  // Answers one call and returns the calls that became ready.
  std::vector<call_request> answer(node_index node, std::uint32_t element, call_result result) {
    std::vector<call_request> next;
    run.complete(node, element, std::move(result), next);
    return next;
  }

  json line(std::string_view id = "7") const { return json::parse(run.output_line(id)); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(one_node)

BOOST_AUTO_TEST_CASE(renders_one_call_and_writes_the_line) {
  auto node = llm("joke", "Write a joke about {{topic}}");
  node.system = "You are {{persona.name}}.";
  item it(make_job({node}, "joke"), json{{"topic", "cats"}, {"persona", {{"name", "Bob"}}}});
  BOOST_REQUIRE(it.calls.size() == 1u);
  BOOST_TEST(it.calls[0].node == 0u);
  BOOST_TEST(it.calls[0].element == 0u);
  BOOST_TEST(it.calls[0].prompt == "Write a joke about cats");
  BOOST_TEST(it.calls[0].system == "You are Bob.");
  BOOST_TEST(!it.run.done());

  auto result = success("Why did the cat...", 9, 41);
  result.attempts = 2;
  result.latency_ms = 811.6;
  BOOST_TEST(it.answer(0, 0, result).empty());
  BOOST_REQUIRE(it.run.done());
  BOOST_TEST((it.run.status() == item_status::ok));
  BOOST_TEST(it.run.prompt_tokens() == 9u);
  BOOST_TEST(it.run.completion_tokens() == 41u);

  const auto line = it.line("7");
  BOOST_TEST(line["id"] == "7");
  BOOST_TEST(line["status"] == "ok");
  BOOST_TEST(line["output"] == "Why did the cat...");
  BOOST_TEST(line["error"].is_null());
  BOOST_TEST(line["usage"] ==
             (json{{"prompt_tokens", 9}, {"completion_tokens", 41}, {"total_tokens", 50}}));
  const auto& joke = line["nodes"]["joke"];
  BOOST_TEST(joke.size() == 5u);
  BOOST_TEST(joke["status"] == "ok");
  BOOST_TEST(joke["output"] == "Why did the cat...");
  BOOST_TEST(joke["attempts"] == 2);
  BOOST_TEST(joke["latency_ms"] == 812);
  BOOST_TEST(joke["usage"] == (json{{"prompt_tokens", 9}, {"completion_tokens", 41}}));
}

BOOST_AUTO_TEST_CASE(keys_come_in_the_contract_order) {
  item it(make_job({llm("a", "x")}, "a"), json::object());
  it.answer(0, 0, success("y"));
  const auto text = it.run.output_line("1");
  BOOST_TEST(text.find('\n') == std::string::npos);
  std::size_t last = 0;
  for (const char* key : {"\"id\"", "\"status\"", "\"output\"", "\"nodes\"", "\"attempts\"",
                          "\"latency_ms\"", "\"usage\"", "\"total_tokens\"", "\"error\""}) {
    const auto at = text.find(key, last);
    BOOST_TEST_INFO(key);
    BOOST_REQUIRE(at != std::string::npos);
    last = at;
  }
}

BOOST_AUTO_TEST_CASE(a_failed_call_fails_the_item) {
  item it(make_job({llm("a", "x")}, "a"), json::object());
  auto result = failure("http 500: overloaded");
  result.attempts = 5;
  it.answer(0, 0, result);
  BOOST_REQUIRE(it.run.done());
  BOOST_TEST((it.run.status() == item_status::failed));
  const auto line = it.line();
  BOOST_TEST(line["status"] == "failed");
  BOOST_TEST(line["output"].is_null());
  BOOST_TEST(line["error"] == "node 'a': http 500: overloaded");
  BOOST_TEST(line["nodes"]["a"]["status"] == "failed");
  BOOST_TEST(line["nodes"]["a"]["output"].is_null());
  BOOST_TEST(line["nodes"]["a"]["attempts"] == 5);
  BOOST_TEST(line["nodes"]["a"]["error"] == "http 500: overloaded");
}

BOOST_AUTO_TEST_CASE(a_missing_variable_fails_without_a_call) {
  item it(make_job({llm("a", "about {{topic}}")}, "a"), json{{"other", 1}});
  BOOST_TEST(it.calls.empty());
  BOOST_REQUIRE(it.run.done());
  const auto line = it.line();
  BOOST_TEST(line["status"] == "failed");
  BOOST_TEST(line["error"] == "node 'a': missing template variable 'topic'");
  BOOST_TEST(!line["nodes"]["a"].contains("attempts"));
  BOOST_TEST(!line["nodes"]["a"].contains("usage"));
}

BOOST_AUTO_TEST_CASE(an_item_that_is_no_object_has_no_variables) {
  item it(make_job({llm("a", "about {{topic}}")}, "a"), json::array({1, 2}));
  BOOST_TEST(it.run.done());
  BOOST_TEST(it.line()["error"] == "node 'a': missing template variable 'topic'");
}

BOOST_AUTO_TEST_CASE(unknown_and_repeated_results_are_ignored) {
  item it(make_job({llm("a", "x", 2)}, "a"), json::object());
  BOOST_TEST(it.answer(5, 0, success("bad node")).empty());
  BOOST_TEST(it.answer(0, 9, success("bad element")).empty());
  it.answer(0, 1, success("one", 3, 4));
  it.answer(0, 1, success("again", 3, 4));
  BOOST_TEST(!it.run.done());
  it.answer(0, 0, success("zero", 1, 1));
  BOOST_REQUIRE(it.run.done());
  BOOST_TEST(it.line()["output"] == json::array({"zero", "one"}));
  BOOST_TEST(it.run.prompt_tokens() == 4u);
  it.answer(0, 0, success("late"));
  BOOST_TEST(it.line()["output"] == json::array({"zero", "one"}));
}

BOOST_AUTO_TEST_CASE(the_line_escapes_text_and_replaces_invalid_utf8) {
  item it(make_job({llm("a", "x")}, "a"), json::object());
  it.answer(0, 0, success("say \"hi\"\n\ttab \xC3\xA9 \xFF end\x01"));
  const auto text = it.run.output_line("id \"q\" \\");
  json line;
  BOOST_REQUIRE_NO_THROW(line = json::parse(text));
  BOOST_TEST(line["id"] == "id \"q\" \\");
  BOOST_TEST(line["output"] == "say \"hi\"\n\ttab \xC3\xA9 \xEF\xBF\xBD end\x01");
}

BOOST_AUTO_TEST_CASE(a_moved_run_keeps_its_state) {
  const auto g = graph::compile(make_job({llm("a", "{{t}}")}, "a"));
  item_run first(*g, json{{"t", "v"}});
  std::vector<call_request> calls;
  first.start(calls);
  item_run moved(std::move(first));
  moved.complete(0, 0, success("out"), calls);
  BOOST_TEST(moved.done());
  BOOST_TEST(json::parse(moved.output_line("x"))["output"] == "out");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(sectioning)

parallm::config::job trio_job(std::optional<int> min_success) {
  auto combined = reduce("combined", reducer_kind::template_text, {"joke", "story", "poem"});
  combined.template_text = "STORY:\n{{story}}\n\nJOKE:\n{{joke}}\n\nPOEM:\n{{poem}}";
  combined.min_success = min_success;
  return make_job({llm("joke", "joke about {{topic}}"), llm("story", "story about {{topic}}"),
                   llm("poem", "poem about {{topic}}"), combined},
                  "combined");
}

BOOST_AUTO_TEST_CASE(three_calls_start_at_once_and_the_template_combines_them) {
  item it(trio_job(std::nullopt), json{{"topic", "cats"}});
  BOOST_REQUIRE(it.calls.size() == 3u);
  BOOST_TEST(it.calls[0].prompt == "joke about cats");
  BOOST_TEST(it.calls[1].node == 1u);
  BOOST_TEST(it.calls[2].prompt == "poem about cats");
  BOOST_TEST(it.answer(2, 0, success("P", 1, 2)).empty());
  BOOST_TEST(it.answer(0, 0, success("J", 1, 2)).empty());
  BOOST_TEST(!it.run.done());
  BOOST_TEST(it.answer(1, 0, success("S", 1, 2)).empty());
  BOOST_REQUIRE(it.run.done());
  const auto line = it.line();
  BOOST_TEST(line["status"] == "ok");
  BOOST_TEST(line["output"] == "STORY:\nS\n\nJOKE:\nJ\n\nPOEM:\nP");
  BOOST_TEST(line["usage"]["total_tokens"] == 9);
  BOOST_TEST(line["nodes"]["combined"] == (json{{"status", "ok"}, {"output", line["output"]}}));
}

BOOST_AUTO_TEST_CASE(one_failed_branch_with_min_success_2_is_partial) {
  item it(trio_job(2), json{{"topic", "cats"}});
  it.answer(0, 0, success("J"));
  it.answer(1, 0, failure("timeout"));
  it.answer(2, 0, success("P"));
  BOOST_REQUIRE(it.run.done());
  BOOST_TEST((it.run.status() == item_status::partial));
  const auto line = it.line();
  BOOST_TEST(line["status"] == "partial");
  BOOST_TEST(line["output"] == "STORY:\n\n\nJOKE:\nJ\n\nPOEM:\nP");
  BOOST_TEST(line["error"].is_null());
  BOOST_TEST(line["nodes"]["story"]["status"] == "failed");
  BOOST_TEST(line["nodes"]["story"]["error"] == "timeout");
  BOOST_TEST(line["nodes"]["combined"]["status"] == "partial");
  BOOST_TEST(line["nodes"]["combined"]["error"] ==
             "2 of 3 branches succeeded, min_success 2: story: timeout");
}

BOOST_AUTO_TEST_CASE(two_failed_branches_fail_the_item) {
  item it(trio_job(2), json{{"topic", "cats"}});
  it.answer(0, 0, failure("http 429"));
  it.answer(1, 0, failure("timeout"));
  it.answer(2, 0, success("P"));
  BOOST_REQUIRE(it.run.done());
  const auto line = it.line();
  BOOST_TEST(line["status"] == "failed");
  BOOST_TEST(line["output"].is_null());
  BOOST_TEST(line["error"] ==
             "node 'combined': 1 of 3 branches succeeded, min_success 2: joke: http 429; "
             "story: timeout");
}

BOOST_AUTO_TEST_CASE(without_min_success_every_branch_must_succeed) {
  item it(trio_job(std::nullopt), json{{"topic", "cats"}});
  it.answer(0, 0, success("J"));
  it.answer(1, 0, failure("timeout"));
  it.answer(2, 0, success("P"));
  BOOST_TEST(it.line()["status"] == "failed");
}

BOOST_AUTO_TEST_CASE(a_failed_side_node_makes_the_item_partial) {
  item it(make_job({llm("main", "m"), llm("side", "s")}, "main"), json::object());
  it.answer(0, 0, success("M"));
  it.answer(1, 0, failure("boom"));
  BOOST_REQUIRE(it.run.done());
  const auto line = it.line();
  BOOST_TEST(line["status"] == "partial");
  BOOST_TEST(line["output"] == "M");
  BOOST_TEST(line["error"].is_null());
}

BOOST_AUTO_TEST_CASE(collect_concat_and_first_reduce_their_branches) {
  auto cat = reduce("cat", reducer_kind::concat, {"a", "b"});
  cat.separator = " + ";
  cat.min_success = 1;
  auto first = reduce("first", reducer_kind::first, {"b", "a"});
  first.min_success = 1;
  auto all = reduce("all", reducer_kind::collect, {"a", "b", "cat"});
  all.min_success = 0;
  item it(make_job({llm("a", "x"), llm("b", "y"), cat, first, all}, "all"), json::object());
  it.answer(1, 0, failure("down"));
  it.answer(0, 0, success("A"));
  BOOST_REQUIRE(it.run.done());
  const auto line = it.line();
  BOOST_TEST(line["status"] == "partial");
  BOOST_TEST(line["output"] == (json{{"a", "A"}, {"b", nullptr}, {"cat", "A"}}));
  BOOST_TEST(line["nodes"]["first"]["output"] == "A");
  BOOST_TEST(line["nodes"]["first"]["status"] == "partial");
}

BOOST_AUTO_TEST_CASE(a_dependency_shadows_an_item_field_of_the_same_name) {
  auto t = reduce("t", reducer_kind::template_text, {"a"});
  t.template_text = "{{a}}/{{b}}";
  auto c = llm("c", "{{a}}/{{b}}");
  c.after = {"a"};
  item it(make_job({llm("a", "x"), llm("b", "y"), t, c}, "t"),
          json{{"a", "field a"}, {"b", "field b"}});
  BOOST_TEST(it.calls.size() == 2u);
  const auto next = it.answer(0, 0, success("node a"));
  BOOST_REQUIRE(next.size() == 1u);
  BOOST_TEST(next[0].node == 3u);
  BOOST_TEST(next[0].prompt == "node a/field b");
  it.answer(1, 0, success("node b"));
  BOOST_TEST(!it.run.done());
  it.answer(3, 0, success("C"));
  BOOST_REQUIRE(it.run.done());
  BOOST_TEST(it.line()["nodes"]["t"]["output"] == "node a/field b");
}

BOOST_AUTO_TEST_SUITE_END()

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
  const auto text = it.run.output_line("7");
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

BOOST_AUTO_TEST_CASE(failed_output_line_has_the_contract_shape) {
  const auto line = json::parse(failed_output_line("42", "line 3: not JSON \xFF"));
  BOOST_TEST(line["id"] == "42");
  BOOST_TEST(line["status"] == "failed");
  BOOST_TEST(line["output"].is_null());
  BOOST_TEST(line["nodes"] == json::object());
  BOOST_TEST(line["usage"] ==
             (json{{"prompt_tokens", 0}, {"completion_tokens", 0}, {"total_tokens", 0}}));
  BOOST_TEST(line["error"] == "line 3: not JSON \xEF\xBF\xBD");
}

BOOST_AUTO_TEST_CASE(status_names) {
  BOOST_TEST(to_string(item_status::ok) == "ok");
  BOOST_TEST(to_string(item_status::partial) == "partial");
  BOOST_TEST(to_string(item_status::failed) == "failed");
}
