#define BOOST_TEST_MODULE call_profile
#include <boost/test/unit_test.hpp>

#include "flow/call_profile.hpp"
#include "flow/graph.hpp"
#include "job_builders.hpp"

using namespace parallm::flow;
using namespace parallm::flow::testing;
using parallm::config::provider_kind;
using parallm::config::reducer_kind;
using indices = std::vector<std::uint32_t>;
constexpr auto none = profile_table::no_profile;

BOOST_AUTO_TEST_CASE(only_nodes_that_call_get_a_profile) {
  auto summarise = reduce("final", reducer_kind::llm, {"summary"});
  summarise.prompt = "combine {{summary}}";
  const auto g =
      graph::compile(make_job({llm("draft", "write {{topic}}"), split("chunks", "draft"),
                               map_over("summary", "chunks", "sum {{item}}"),
                               reduce("all", reducer_kind::concat, {"summary"}), summarise},
                              "final"));
  const auto table = build_profiles(*g);
  BOOST_TEST(table.profiles.size() == 3u);
  BOOST_TEST(table.of_node == (indices{0, none, 1, none, 2}));
}

BOOST_AUTO_TEST_CASE(a_profile_carries_the_node_request_fields_and_the_job_timeout) {
  auto a = llm("a", "x");
  a.temperature = 0.25;
  a.max_tokens = 12;
  a.params = {{"top_p", 0.5}};
  a.passthrough = true;
  auto job = make_job({a, llm("b", "y")}, "b");
  job.limits.timeout_s = 2.5;
  const auto table = build_profiles(*graph::compile(job));
  BOOST_REQUIRE(table.profiles.size() == 2u);
  const auto& p = table.profiles[0];
  BOOST_TEST(p.temperature.value_or(0) == 0.25);
  BOOST_TEST(p.max_tokens.value_or(0) == 12);
  BOOST_TEST(p.params.dump() == R"({"top_p":0.5})");
  BOOST_TEST(p.passthrough);
  BOOST_TEST(p.timeout.count() == 2500);
  const auto& q = table.profiles[1];
  BOOST_TEST(!q.temperature.has_value());
  BOOST_TEST(!q.max_tokens.has_value());
  BOOST_TEST(q.params.empty());
  BOOST_TEST(!q.passthrough);
  BOOST_TEST(q.timeout.count() == 2500);
}

BOOST_AUTO_TEST_CASE(a_node_that_overrides_the_provider_gets_its_endpoint) {
  parallm::config::provider_spec other;
  other.kind = provider_kind::openai;
  other.base_url = "http://localhost:8000/v1";
  other.model = "other-model";
  other.api_key_env = "OTHER_KEY";
  auto b = llm("b", "y");
  b.provider = other;
  auto job = make_job({llm("a", "x"), b}, "b");
  job.provider.model = "job-model";
  const auto table = build_profiles(*graph::compile(job));
  BOOST_REQUIRE(table.profiles.size() == 2u);
  BOOST_TEST((table.profiles[0].endpoint.kind == provider_kind::sim));
  BOOST_TEST(table.profiles[0].endpoint.model == "job-model");
  BOOST_TEST((table.profiles[1].endpoint.kind == provider_kind::openai));
  BOOST_TEST(table.profiles[1].endpoint.base_url == "http://localhost:8000/v1");
  BOOST_TEST(table.profiles[1].endpoint.model == "other-model");
  BOOST_TEST(table.profiles[1].endpoint.api_key_env == "OTHER_KEY");
}
