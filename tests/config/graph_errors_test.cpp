#define BOOST_TEST_MODULE config_graph_errors
#include <boost/test/unit_test.hpp>

#include "config_test_support.hpp"

using namespace parallm::config;
using parallm::config::testing::all_errors;
using parallm::config::testing::error_at;
using parallm::config::testing::mentions;
using parallm::config::testing::parse;
using parallm::config::testing::valid;

BOOST_AUTO_TEST_SUITE(references)

BOOST_AUTO_TEST_CASE(unknown_after_node_lists_the_nodes) {
  const auto d = error_at(parse("nodes:\n  a: { prompt: hi }\n  b:\n    after: [a, x]\n    "
                                "reduce: collect\n"),
                          "nodes.b.after[1]");
  BOOST_TEST(d.to_string() ==
             "job.yaml:4:16: nodes.b.after[1]: unknown node 'x' in after (nodes: a, b)");
}

BOOST_AUTO_TEST_CASE(after_itself) {
  const auto d =
      error_at(parse("nodes:\n  a: { prompt: hi }\n  b: { after: [b, a], reduce: first }\n"),
               "nodes.b.after[0]");
  BOOST_TEST(d.line == 3);
  BOOST_TEST(d.message == "'b' cannot be after itself");
}

BOOST_AUTO_TEST_CASE(duplicate_after_entry) {
  const auto result =
      parse("nodes:\n  a: { prompt: hi }\n  b: { after: [a, a], reduce: collect }\n");
  BOOST_TEST(error_at(result, "nodes.b.after[1]").message == "duplicate node 'a' in after");
  BOOST_TEST(result.errors.size() == 1u, all_errors(result));
}

BOOST_AUTO_TEST_CASE(foreach_errors) {
  const auto result = parse(R"(nodes:
  a: { prompt: hi }
  b: { foreach: a, prompt: "{{item}}" }
  c: { foreach: nope, prompt: "{{item}}" }
  d: { foreach: d, prompt: "{{item}}" }
)");
  const auto not_split = error_at(result, "nodes.b.foreach");
  BOOST_TEST(not_split.line == 3);
  BOOST_TEST(not_split.column == 17);
  BOOST_TEST(mentions(not_split, "foreach over 'a', which is not a split node"));
  BOOST_TEST(error_at(result, "nodes.c.foreach").message ==
             "unknown node 'nope' in foreach (nodes: a, b, c, d)");
  BOOST_TEST(mentions(error_at(result, "nodes.d.foreach"), "over itself"));
}

BOOST_AUTO_TEST_CASE(split_of_its_own_output) {
  const auto d = error_at(parse("nodes:\n  s: { split: s }\n"), "nodes.s.split");
  BOOST_TEST(d.message == "'s' cannot split its own output");
}

BOOST_AUTO_TEST_CASE(output_must_name_a_node) {
  const auto d = error_at(parse("nodes:\n  a: { prompt: hi }\noutput: b\n"), "output");
  BOOST_TEST(d.to_string() == "job.yaml:3:9: output: unknown node 'b' in output (nodes: a)");
}

BOOST_AUTO_TEST_CASE(output_must_be_a_node_name) {
  BOOST_TEST(error_at(parse("nodes:\n  a: { prompt: hi }\noutput: ''\n"), "output").message ==
             "expected a node name, got an empty string");
  const auto listed = parse("nodes:\n  a: { prompt: hi }\noutput: [a]\n");
  BOOST_TEST_REQUIRE(listed.errors.size() == 1u, all_errors(listed));
  BOOST_TEST(listed.errors[0].message == "expected a string, got a list");
}

BOOST_AUTO_TEST_CASE(errors_come_in_file_order) {
  const auto result = parse(R"(nodes:
  a: { after: [ghost], reduce: first }
  b: { prompt: hi, temperature: 7 }
)");
  BOOST_TEST_REQUIRE(result.errors.size() == 2u, all_errors(result));
  BOOST_TEST(result.errors[0].field == "nodes.a.after[0]");
  BOOST_TEST(result.errors[1].field == "nodes.b.temperature");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(cycles)

BOOST_AUTO_TEST_CASE(cycle_is_named_in_order_from_its_first_node) {
  const auto result = parse(R"(nodes:
  a: { after: [c], prompt: "{{c}}" }
  b: { after: [a], reduce: collect }
  c: { after: [b], reduce: collect }
)");
  BOOST_TEST_REQUIRE(result.errors.size() == 1u, all_errors(result));
  const auto d = result.errors[0];
  BOOST_TEST(d.field == "nodes.a.after[0]");
  BOOST_TEST(d.line == 2);
  BOOST_TEST(d.column == 16);
  BOOST_TEST(mentions(d, "cycle: a -> c -> b -> a"));
  BOOST_TEST(mentions(d, "acyclic"));
}

BOOST_AUTO_TEST_CASE(cycle_through_a_split_source_and_foreach) {
  const auto result = parse(R"(nodes:
  chunks: { split: summary }
  summary: { foreach: chunks, prompt: "{{item}}" }
)");
  BOOST_TEST_REQUIRE(result.errors.size() == 1u, all_errors(result));
  BOOST_TEST(result.errors[0].field == "nodes.chunks.split");
  BOOST_TEST(mentions(result.errors[0], "cycle: chunks -> summary -> chunks"));
}

BOOST_AUTO_TEST_CASE(separate_cycles_are_each_reported) {
  const auto result = parse(R"(nodes:
  a: { after: [b], reduce: first }
  b: { after: [a], reduce: first }
  c: { after: [d], reduce: first }
  d: { after: [c], reduce: first }
)");
  BOOST_TEST(mentions(error_at(result, "nodes.a.after[0]"), "cycle: a -> b -> a"));
  BOOST_TEST(mentions(error_at(result, "nodes.c.after[0]"), "cycle: c -> d -> c"));
}

BOOST_AUTO_TEST_CASE(diamond_is_not_a_cycle) {
  const job j = valid(R"(nodes:
  a: { prompt: hi }
  b: { after: [a], prompt: "{{a}}" }
  c: { after: [a], prompt: "{{a}}!" }
  d: { after: [b, c], reduce: concat }
)");
  BOOST_TEST(j.nodes.size() == 4u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(templates)

BOOST_AUTO_TEST_CASE(unclosed_variable_is_reported_at_its_field) {
  const auto d = error_at(parse("nodes:\n  a: { prompt: \"Hi {{name\" }\n"), "nodes.a.prompt");
  BOOST_TEST(d.line == 2);
  BOOST_TEST(d.column == 16);
  BOOST_TEST(mentions(d, "bad template"));
  BOOST_TEST(mentions(d, "no closing '}}'"));
}

BOOST_AUTO_TEST_CASE(bad_variable_name_in_system_and_template) {
  const auto result = parse(R"(nodes:
  a: { prompt: hi, system: "{{ two words }}" }
  b: { after: [a], reduce: template, template: "{{a-b}}" }
)");
  BOOST_TEST(mentions(error_at(result, "nodes.a.system"), "not a variable name"));
  BOOST_TEST(mentions(error_at(result, "nodes.b.template"), "not a variable name"));
}

BOOST_AUTO_TEST_CASE(item_outside_foreach) {
  const auto result = parse(R"(nodes:
  a: { prompt: "{{item}} and {{item_index}}" }
  b: { after: [a], prompt: "{{ item.title }}" }
)");
  BOOST_TEST(mentions(error_at(result, "nodes.a.prompt"),
                      "uses {{item}}, which exists only in foreach nodes"));
  BOOST_TEST(mentions(error_at(result, "nodes.b.prompt"), "uses {{item.title}}"));
  BOOST_TEST(result.errors.size() == 3u, all_errors(result));
}

BOOST_AUTO_TEST_CASE(node_used_without_after) {
  const auto result = parse(R"(nodes:
  joke: { prompt: "a joke about {{topic}}" }
  story: { prompt: "a story like {{joke}}" }
  both: { after: [story], reduce: template, template: "{{story}} {{joke.text}}" }
)");
  BOOST_TEST(error_at(result, "nodes.story.prompt").message ==
             "uses {{joke}}, which is a node; list it in after:");
  BOOST_TEST(mentions(error_at(result, "nodes.both.template"), "uses {{joke.text}}"));
}

BOOST_AUTO_TEST_CASE(node_using_its_own_output) {
  const auto d = error_at(parse("nodes:\n  a: { prompt: \"again: {{a}}\" }\n"), "nodes.a.prompt");
  BOOST_TEST(mentions(d, "own output"));
}

BOOST_AUTO_TEST_CASE(foreach_node_sees_item_and_its_split) {
  const job j = valid(R"(nodes:
  chunks: { split: text }
  each: { foreach: chunks, prompt: "{{item_index}} of {{chunks}}: {{item}}", system: "{{lang}}" }
)");
  BOOST_TEST(j.nodes[1].foreach == "chunks");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(branches)

BOOST_AUTO_TEST_CASE(quorum_larger_than_the_samples) {
  const auto d = error_at(parse(R"(nodes:
  label: { prompt: "{{text}}", samples: 5 }
  verdict: { after: [label], reduce: vote, quorum: 6 }
)"),
                          "nodes.verdict.quorum");
  BOOST_TEST(d.line == 3);
  BOOST_TEST(d.column == 52);
  BOOST_TEST(d.message == "quorum 6 is larger than the 5 samples of 'label'");
}

BOOST_AUTO_TEST_CASE(min_success_larger_than_the_branches) {
  const auto d = error_at(parse(R"(nodes:
  a: { prompt: hi }
  b: { prompt: hi, samples: 2 }
  c: { after: [a, b], reduce: collect, min_success: 4 }
)"),
                          "nodes.c.min_success");
  BOOST_TEST(d.message == "min_success 4 is larger than the 3 branches");
}

BOOST_AUTO_TEST_CASE(branches_of_a_split_are_not_known_statically) {
  const job j = valid(R"(nodes:
  chunks: { split: doc }
  each: { foreach: chunks, prompt: "{{item}}" }
  all: { after: [each], reduce: vote, quorum: 50, min_success: 40 }
)");
  BOOST_TEST(j.nodes[2].quorum == 50);
  BOOST_TEST(j.nodes[2].min_success.value() == 40);
}

BOOST_AUTO_TEST_CASE(quorum_equal_to_the_branches_is_fine) {
  const job j = valid(R"(nodes:
  a: { prompt: hi, samples: 3 }
  b: { prompt: hi }
  v: { after: [a, b], reduce: vote, quorum: 4, min_success: 4 }
)");
  BOOST_TEST(j.nodes[2].quorum == 4);
}

BOOST_AUTO_TEST_SUITE_END()
