#define BOOST_TEST_MODULE graph
#include <boost/test/unit_test.hpp>

#include "flow/graph.hpp"
#include "job_builders.hpp"

using namespace parallm::flow;
using namespace parallm::flow::testing;
using parallm::config::reducer_kind;
using indices = std::vector<node_index>;

BOOST_AUTO_TEST_CASE(nodes_keep_their_declared_order_and_output_is_resolved) {
  const auto g = graph::compile(make_job({llm("a", "x"), llm("b", "y"), llm("c", "z")}, "b"));
  BOOST_TEST(g->nodes().size() == 3u);
  BOOST_TEST(g->nodes()[0].spec.name == "a");
  BOOST_TEST(g->nodes()[2].spec.name == "c");
  BOOST_TEST(g->output() == 1u);
  BOOST_TEST(g->job().name == "test");
}

BOOST_AUTO_TEST_CASE(deps_come_from_after_foreach_and_a_split_source_node) {
  const auto g =
      graph::compile(make_job({llm("draft", "write {{topic}}"), split("chunks", "draft"),
                               map_over("summary", "chunks", "sum {{item}}"),
                               reduce("final", reducer_kind::concat, {"summary", "draft"})},
                              "final"));
  const auto& n = g->nodes();
  BOOST_TEST(n[0].deps.empty());
  BOOST_TEST(n[1].deps == indices{0});
  BOOST_TEST((n[1].split_input == std::optional<node_index>(0)));
  BOOST_TEST(n[2].deps == indices{1});
  BOOST_TEST((n[2].foreach == std::optional<node_index>(1)));
  BOOST_TEST(n[3].deps == (indices{2, 0}));
  BOOST_TEST(n[3].after == (indices{2, 0}));
  BOOST_TEST(n[0].dependents == (indices{1, 3}));
  BOOST_TEST(n[1].dependents == indices{2});
  BOOST_TEST(n[3].dependents.empty());
}

BOOST_AUTO_TEST_CASE(a_dependency_named_twice_counts_once) {
  auto node = map_over("m", "s", "{{item}}");
  node.after = {"s"};
  const auto g = graph::compile(make_job({split("s", "doc"), node}, "m"));
  BOOST_TEST(g->nodes()[1].deps == indices{0});
  BOOST_TEST(g->nodes()[0].dependents == indices{1});
}

BOOST_AUTO_TEST_CASE(roles_and_list_outputs) {
  auto aggregator = llm("agg", "combine {{a}}");
  aggregator.after = {"a"};
  const auto g = graph::compile(
      make_job({llm("a", "x"), llm("votes", "y", 5), split("s", "doc"),
                map_over("m", "s", "{{item}}"), aggregator, reduce("r", reducer_kind::llm, {"a"}),
                reduce("v", reducer_kind::vote, {"votes"})},
               "v"));
  const auto& n = g->nodes();
  BOOST_TEST((n[0].role == node_role::call));
  BOOST_TEST(!n[0].is_list);
  BOOST_TEST((n[1].role == node_role::call));
  BOOST_TEST(n[1].is_list);
  BOOST_TEST((n[2].role == node_role::split));
  BOOST_TEST(n[2].is_list);
  BOOST_TEST(n[3].is_list);
  BOOST_TEST((n[4].role == node_role::reduce_call));
  BOOST_TEST(!n[4].is_list);
  BOOST_TEST((n[5].role == node_role::reduce_call));
  BOOST_TEST((n[6].role == node_role::reduce));
}

BOOST_AUTO_TEST_CASE(templates_are_parsed_for_the_nodes_that_use_them) {
  auto a = llm("a", "about {{topic}}");
  a.system = "you are {{persona}}";
  auto t = reduce("t", reducer_kind::template_text, {"a"});
  t.template_text = "A: {{a}}";
  const auto g = graph::compile(make_job({a, t}, "t"));
  BOOST_TEST(g->nodes()[0].prompt.variables() == std::vector<std::string>{"topic"});
  BOOST_TEST(g->nodes()[0].system.variables() == std::vector<std::string>{"persona"});
  BOOST_TEST(g->nodes()[1].reduce_template.variables() == std::vector<std::string>{"a"});
}

BOOST_AUTO_TEST_CASE(the_job_provider_is_first_and_each_override_gets_its_own_entry) {
  auto a = llm("a", "x");
  auto b = llm("b", "x");
  auto c = llm("c", "x");
  parallm::config::provider_spec other;
  other.kind = parallm::config::provider_kind::openai;
  other.model = "m1";
  b.provider = other;
  other.model = "m2";
  c.provider = other;
  auto job = make_job({a, b, c, reduce("f", reducer_kind::first, {"a", "b", "c"})}, "f");
  job.provider.model = "job-model";
  const auto g = graph::compile(job);
  BOOST_TEST(g->providers().size() == 3u);
  BOOST_TEST(g->providers()[0].model == "job-model");
  BOOST_TEST(g->nodes()[0].provider == 0u);
  BOOST_TEST(g->nodes()[1].provider == 1u);
  BOOST_TEST(g->providers()[1].model == "m1");
  BOOST_TEST(g->nodes()[2].provider == 2u);
  BOOST_TEST(g->providers()[2].model == "m2");
  BOOST_TEST(g->nodes()[3].provider == 0u);
}

BOOST_AUTO_TEST_CASE(input_variables_are_the_item_fields_templates_and_splits_read) {
  auto a = llm("a", "{{topic}} {{doc.title}} {{topic}}");
  a.system = "{{persona}}";
  auto t = reduce("t", reducer_kind::template_text, {"a", "m"});
  t.template_text = "{{a}} {{m}} {{footer}}";
  const auto g = graph::compile(make_job(
      {a, split("s", "body.text"), map_over("m", "s", "{{item}} {{item_index}} {{a}} {{lang}}"), t},
      "t"));
  BOOST_TEST(g->input_variables() ==
             (std::vector<std::string>{"body", "doc", "footer", "lang", "persona", "topic"}));
}

BOOST_AUTO_TEST_CASE(a_split_over_a_node_reads_no_input_field) {
  const auto g = graph::compile(make_job({llm("a", "fixed"), split("s", "a")}, "s"));
  BOOST_TEST(g->input_variables().empty());
}

BOOST_AUTO_TEST_CASE(missing_inputs_lists_the_fields_an_item_lacks_in_order) {
  const auto g =
      graph::compile(make_job({llm("a", "{{topic}} for {{audience}} in {{lang}}")}, "a"));
  using names = std::vector<std::string_view>;
  BOOST_TEST(
      g->missing_inputs(nlohmann::json{{"topic", "x"}, {"audience", 1}, {"lang", "en"}}).empty());
  BOOST_TEST(g->missing_inputs(nlohmann::json{{"topic", "x"}}) == (names{"audience", "lang"}),
             boost::test_tools::per_element());
  BOOST_TEST(g->missing_inputs(nlohmann::json::array()) == (names{"audience", "lang", "topic"}),
             boost::test_tools::per_element());
}
