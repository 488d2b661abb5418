#define BOOST_TEST_MODULE item_run
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include "flow/item_run.hpp"
#include "item_driver.hpp"
#include "job_builders.hpp"

using namespace parallm::flow;
using namespace parallm::flow::testing;
using nlohmann::json;
using parallm::config::reducer_kind;

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
  result.finish_reason = "length";
  result.attempts = 2;
  result.latency_ms = 811.6;
  BOOST_TEST(it.answer(0, 0, result).empty());
  BOOST_REQUIRE(it.run.done());
  BOOST_TEST((it.run.status() == item_status::ok));
  BOOST_TEST(it.run.prompt_tokens() == 9u);
  BOOST_TEST(it.run.completion_tokens() == 41u);

  const auto line = it.line("7", 8);
  BOOST_TEST(line["id"] == 7);
  BOOST_TEST(line["line"] == 8);
  BOOST_TEST(line["status"] == "ok");
  BOOST_TEST(line["output"] == "Why did the cat...");
  BOOST_TEST(line["error"].is_null());
  BOOST_TEST(line["usage"] ==
             (json{{"prompt_tokens", 9}, {"completion_tokens", 41}, {"total_tokens", 50}}));
  const auto& joke = line["nodes"]["joke"];
  BOOST_TEST(joke.size() == 6u);
  BOOST_TEST(joke["finish_reason"] == "length");
  BOOST_TEST(joke["status"] == "ok");
  BOOST_TEST(joke["output"] == "Why did the cat...");
  BOOST_TEST(joke["attempts"] == 2);
  BOOST_TEST(joke["latency_ms"] == 812);
  BOOST_TEST(joke["usage"] == (json{{"prompt_tokens", 9}, {"completion_tokens", 41}}));
}

BOOST_AUTO_TEST_CASE(keys_come_in_the_contract_order) {
  item it(make_job({llm("a", "x")}, "a"), json::object());
  it.answer(0, 0, success("y"));
  const auto text = it.run.output_line("1", 2);
  BOOST_TEST(text.find('\n') == std::string::npos);
  BOOST_TEST(text.starts_with(R"({"id":1,"line":2,"status":)"));
  std::size_t last = 0;
  for (const char* key :
       {"\"id\"", "\"line\"", "\"status\"", "\"output\"", "\"nodes\"", "\"attempts\"",
        "\"latency_ms\"", "\"usage\"", "\"finish_reason\"", "\"total_tokens\"", "\"error\""}) {
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
  const auto text = it.run.output_line(R"("id \"q\" \\")", 1);
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
  BOOST_TEST(json::parse(moved.output_line(R"("x")", 1))["output"] == "out");
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

BOOST_AUTO_TEST_CASE(a_node_that_is_no_dependency_is_not_visible) {
  item it(make_job({llm("a", "x"), llm("b", "{{a}}")}, "a"), json::object());
  BOOST_TEST(it.calls.size() == 1u);
  it.answer(0, 0, success("A"));
  BOOST_REQUIRE(it.run.done());
  const auto line = it.line();
  BOOST_TEST(line["status"] == "partial");
  BOOST_TEST(line["nodes"]["b"]["error"] == "missing template variable 'a'");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(ids_keep_their_json_type) {
  item it(make_job({llm("a", "x")}, "a"), json::object());
  it.answer(0, 0, success("y"));
  BOOST_TEST(it.line("7", 8)["id"] == 7);
  BOOST_TEST(it.line(R"("7")", 8)["id"] == "7");
  BOOST_TEST(it.line("-3", 8)["id"] == -3);
}

BOOST_AUTO_TEST_CASE(an_item_without_an_id_is_written_with_a_null_id_and_its_line) {
  item it(make_job({llm("a", "x")}, "a"), json::object());
  it.answer(0, 0, success("y"));
  const auto line = it.line("", 12);
  BOOST_TEST(line["id"].is_null());
  BOOST_TEST(line["line"] == 12);
  BOOST_TEST(line["status"] == "ok");
  const auto failed = json::parse(failed_output_line("", 4, "line 4: not a JSON object"));
  BOOST_TEST(failed["id"].is_null());
  BOOST_TEST(failed["line"] == 4);
}

BOOST_AUTO_TEST_CASE(failed_output_line_has_the_contract_shape) {
  const auto text = failed_output_line("42", 3, "line 3: not JSON \xFF");
  BOOST_TEST(text.starts_with(R"({"id":42,"line":3,"status":"failed",)"));
  const auto line = json::parse(text);
  BOOST_TEST(line["id"] == 42);
  BOOST_TEST(line["line"] == 3);
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

BOOST_AUTO_TEST_CASE(a_job_without_nodes_fails_the_item_instead_of_crashing) {
  item it(make_job({}, "nothing"), json::object());
  BOOST_TEST(it.calls.empty());
  BOOST_REQUIRE(it.run.done());
  const auto line = it.line();
  BOOST_TEST(line["status"] == "failed");
  BOOST_TEST(line["error"] == "the job has no nodes");
}

BOOST_AUTO_TEST_SUITE(finish_reasons)

BOOST_AUTO_TEST_CASE(a_call_without_a_finish_reason_writes_null) {
  item it(make_job({llm("a", "x")}, "a"), json::object());
  it.answer(0, 0, success("y"));
  const auto line = it.line();
  BOOST_TEST(line["nodes"]["a"].contains("finish_reason"));
  BOOST_TEST(line["nodes"]["a"]["finish_reason"].is_null());
}

BOOST_AUTO_TEST_CASE(a_failed_call_keeps_its_finish_reason) {
  item it(make_job({llm("a", "x")}, "a"), json::object());
  auto refused = failure("I can't help with that.");
  refused.finish_reason = "stop";
  it.answer(0, 0, refused);
  const auto line = it.line();
  BOOST_TEST(line["status"] == "failed");
  BOOST_TEST(line["nodes"]["a"]["finish_reason"] == "stop");
  BOOST_TEST(line["nodes"]["a"]["error"] == "I can't help with that.");
}

BOOST_AUTO_TEST_CASE(of_several_calls_the_first_abnormal_stop_shows_whatever_the_order) {
  for (const bool reversed : {false, true}) {
    item it(make_job({llm("s", "x", 3)}, "s"), json::object());
    BOOST_REQUIRE(it.calls.size() == 3u);
    const char* reasons[] = {"stop", "content_filter", "length"};
    for (std::uint32_t k = 0; k < 3; ++k) {
      const auto e = reversed ? 2 - k : k;
      auto r = success("y");
      r.finish_reason = reasons[e];
      it.answer(0, e, r);
    }
    BOOST_TEST(it.line()["nodes"]["s"]["finish_reason"] == "content_filter", reversed);
  }
  item normal(make_job({llm("s", "x", 2)}, "s"), json::object());
  for (std::uint32_t e = 0; e < 2; ++e) {
    auto r = success("y");
    r.finish_reason = "stop";
    normal.answer(0, e, r);
  }
  BOOST_TEST(normal.line()["nodes"]["s"]["finish_reason"] == "stop");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(a_batch_line_answered_without_an_envelope_fails) {
  // A Batch line's output is the answer's envelope; any other text is no answer, and the
  // line must not count as ok while its Batch output says "no response".
  auto node = llm("request", "a body");
  node.passthrough = true;
  item bad(make_job({node}, "request"), json::object());
  bad.answer(0, 0, success("sim[1234abcd]: hello"));
  BOOST_TEST((bad.run.status() == item_status::failed));
  BOOST_TEST(bad.line()["error"] == "node 'request': no response envelope from the provider");

  item good(make_job({node}, "request"), json::object());
  good.answer(0, 0, success(R"({"status_code":200,"request_id":"r","body":{}})"));
  BOOST_TEST((good.run.status() == item_status::ok));
  BOOST_TEST(good.line()["output"]["status_code"] == 200);
}
