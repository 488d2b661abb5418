#define BOOST_TEST_MODULE endpoint_setup
#include <boost/test/unit_test.hpp>

#include "actors/endpoint_setup.hpp"
#include "config/job_loader.hpp"

using namespace parallm;

namespace {

// Three nodes that override the job's provider with params only: the same endpoint.
const std::string k_job = R"(provider: { kind: openai, base_url: "http://127.0.0.1:9/v1", model: m }
limits: { rpm: 60 }
nodes:
  a: { prompt: "a {{x}}", provider: { params: { seed: 1 } } }
  b: { prompt: "b {{x}}", provider: { params: { seed: 2 } } }
  c: { prompt: "c {{x}}", provider: { params: { seed: 3 } } }
  d: { prompt: "d {{x}}", provider: { model: other } }
)";

std::shared_ptr<const flow::graph> compile(const std::string& text) {
  const auto loaded = config::parse_job(text, "job.yaml");
  BOOST_TEST_REQUIRE(loaded.errors.empty());
  return flow::graph::compile(*loaded.value);
}

}  // namespace

BOOST_AUTO_TEST_CASE(nodes_calling_the_same_endpoint_share_one_limiter) {
  const auto graph = compile(k_job);
  BOOST_TEST(graph->providers().size() == 5u);  // the job's and one per override
  actors::dispatch_core::options opts;
  actors::add_endpoints(*graph, opts);
  BOOST_TEST(opts.endpoints.size() == 2u);  // m, and the other model
  BOOST_TEST(opts.node_endpoint == (std::vector<std::uint32_t>{0, 0, 0, 1}),
             boost::test_tools::per_element());
  BOOST_TEST(opts.endpoints[0].rpm == 60.0);
}

BOOST_AUTO_TEST_CASE(the_jobs_rpm_holds_across_nodes_of_one_endpoint) {
  const auto graph = compile(k_job);
  actors::dispatch_core::options opts;
  actors::add_endpoints(*graph, opts);
  actors::dispatch_core core(opts);
  core.add_worker(16);
  actors::call_batch batch;
  for (std::uint32_t node : {0u, 1u, 2u, 0u, 1u, 2u}) {
    batch.calls.push_back({node, flow::call_request{node, 0, "p", ""}});
  }
  core.add_calls(std::move(batch));
  const auto t0 = actors::dispatch_core::clock::time_point{} + std::chrono::hours(1);
  const auto plan = core.dispatch(t0);
  std::size_t sent = 0;
  for (const auto& [worker, tasks] : plan.batches) sent += tasks.tasks.size();
  BOOST_TEST(sent == 1u);  // 60 rpm: one now, whichever node asks; not one per node
  BOOST_TEST(core.pending() == 5u);
}
