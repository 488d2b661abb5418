#define BOOST_TEST_MODULE reducer
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <nlohmann/json.hpp>

#include "actors/interfaces.hpp"
#include "actors/messages.hpp"
#include "actors/reducer.hpp"
#include "batch/line_sink.hpp"
#include "config/job.hpp"
#include "flow/graph.hpp"

using namespace parallm::actors;
using nlohmann::json;

namespace {

constexpr auto patience = std::chrono::seconds(5);

// The reducer's lines kept in memory, as a stream to a client would take them: in the order
// they come, each released at once. fail_after makes it break like a full disk.
class memory_sink final : public parallm::batch::line_sink {
 public:
  explicit memory_sink(std::size_t fail_after = SIZE_MAX) : fail_after_(fail_after) {}

  std::size_t emit(std::uint64_t seq, std::string line,
                   const parallm::batch::line_facts& line_facts) override {
    if (lines.size() >= fail_after_) error_ = "the stream is gone";
    if (error_.empty()) {
      lines.emplace_back(seq, std::move(line));
      facts.push_back(line_facts);
    }
    return 1;
  }
  std::size_t release_held() override { return 0; }
  bool flush() override { return error_.empty(); }
  bool failed() const override { return !error_.empty(); }
  std::string error() const override { return error_; }

  std::vector<std::pair<std::uint64_t, std::string>> lines;
  std::vector<parallm::batch::line_facts> facts;  // one per line, in the same order

 private:
  std::size_t fail_after_;
  std::string error_;
};

std::shared_ptr<const parallm::flow::graph> one_call_graph() {
  parallm::config::node_spec node;
  node.name = "joke";
  node.kind = parallm::config::node_kind::llm;
  node.prompt = "Write a joke about {{topic}}";
  parallm::config::job job;
  job.name = "test";
  job.nodes = {node};
  job.output = "joke";
  return parallm::flow::graph::compile(job);
}

admitted_item item(std::uint64_t seq, json fields, std::string error = {}) {
  admitted_item in;
  in.seq = seq;
  in.line = seq + 1;
  in.id = std::to_string(seq);
  in.fields = std::move(fields);
  in.error = std::move(error);
  return in;
}

// The test plays both the coordinator the reducer asks for calls and whoever waits for the
// end of the run.
struct reducer_fixture {
  caf::actor_system_config cfg;
  caf::actor_system system{cfg};
  caf::scoped_actor self{system};

  reducer_actor spawn(std::shared_ptr<parallm::batch::line_sink> sink) {
    reducer_options options;
    options.graph = one_call_graph();
    options.sink = std::move(sink);
    options.done = caf::actor_cast<run_end_actor>(self);
    auto reducer = spawn_reducer(system, std::move(options));
    self->send(reducer, attach_atom::value, caf::actor_cast<dispatcher_actor>(self));
    return reducer;
  }

  template <class Handler>
  void expect(Handler handler) {
    self->receive(
        handler, caf::after(patience) >> [] { BOOST_FAIL("no message from the reducer"); });
  }

  run_report wait_for_end() {
    std::optional<run_report> report;
    expect([&](run_end_atom, run_report& end) { report = std::move(end); });
    return std::move(*report);
  }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(settled_items_go_to_the_sink_and_the_end_is_a_message, reducer_fixture) {
  auto sink = std::make_shared<memory_sink>();
  auto reducer = spawn(sink);
  item_batch batch;
  batch.items.push_back(item(0, json{{"topic", "cats"}}));
  batch.items.push_back(item(1, json::object(), "not a JSON object"));
  self->send(reducer, admit_atom::value, std::move(batch));

  call_batch asked;
  expect([&](calls_atom, call_batch& calls) { asked = std::move(calls); });
  BOOST_REQUIRE(asked.calls.size() == 1u);
  BOOST_TEST(asked.calls[0].seq == 0u);
  BOOST_TEST(asked.calls[0].call.prompt == "Write a joke about cats");
  expect([](released_atom, std::uint64_t n) { BOOST_TEST(n == 1u); });

  finished_batch answers;
  finished_call answer;
  answer.result.ok = true;
  answer.result.text = "Why did the cat...";
  answer.result.prompt_tokens = 7;
  answer.result.completion_tokens = 5;
  answer.result.attempts = 3;  // two retries, both refused for rate limits
  answer.result.rate_limited = 2;
  answers.calls.push_back(std::move(answer));
  self->send(reducer, finished_atom::value, std::move(answers));
  expect([](released_atom, std::uint64_t n) { BOOST_TEST(n == 1u); });
  self->send(reducer, input_end_atom::value, std::uint64_t{2});

  const auto report = wait_for_end();
  BOOST_TEST(report.error.empty());
  BOOST_TEST(report.stats.ok() == 1u);
  BOOST_TEST(report.stats.failed() == 1u);
  BOOST_REQUIRE(sink->lines.size() == 2u);
  BOOST_TEST(sink->lines[0].first == 1u);
  BOOST_TEST(json::parse(sink->lines[0].second)["status"] == "failed");
  BOOST_TEST(sink->lines[1].first == 0u);
  BOOST_TEST(json::parse(sink->lines[1].second)["output"] == "Why did the cat...");

  // Each line's facts, the same numbers the run's summary counts.
  using parallm::batch::line_status;
  BOOST_REQUIRE(sink->facts.size() == 2u);
  BOOST_TEST((sink->facts[0].status == line_status::failed));
  BOOST_TEST(sink->facts[0].prompt_tokens == 0u);
  BOOST_TEST(sink->facts[0].completion_tokens == 0u);
  BOOST_TEST(sink->facts[0].latency_us == 0u);  // never ran
  BOOST_TEST((sink->facts[1].status == line_status::ok));
  BOOST_TEST(sink->facts[1].prompt_tokens == 7u);
  BOOST_TEST(sink->facts[1].completion_tokens == 5u);
  BOOST_TEST(report.stats.prompt_tokens() == 7u);
  BOOST_TEST(report.stats.completion_tokens() == 5u);
  BOOST_TEST(sink->facts[1].latency_us > 0u);  // admitted, asked for a call, answered

  // Each line's calls, summed over the lines, are the run's call totals: a client that counts
  // them from the lines it writes gets the summary `run` prints.
  BOOST_TEST(sink->facts[0].calls == 0u);  // failed before any call
  BOOST_TEST(sink->facts[0].attempts == 0u);
  BOOST_TEST(sink->facts[0].rate_limited == 0u);
  BOOST_TEST(sink->facts[1].calls == 1u);
  BOOST_TEST(sink->facts[1].attempts == 3u);
  BOOST_TEST(sink->facts[1].rate_limited == 2u);
  std::uint64_t calls = 0, attempts = 0, rate_limited = 0;
  for (const auto& f : sink->facts) {
    calls += f.calls;
    attempts += f.attempts;
    rate_limited += f.rate_limited;
  }
  BOOST_TEST(calls == report.stats.calls());
  BOOST_TEST(attempts == report.stats.attempts());
  BOOST_TEST(rate_limited == report.stats.rate_limited());
}

BOOST_FIXTURE_TEST_CASE(a_sink_that_breaks_ends_the_run_with_its_error, reducer_fixture) {
  auto sink = std::make_shared<memory_sink>(1);
  auto reducer = spawn(sink);
  item_batch batch;
  batch.items.push_back(item(0, json::object(), "bad"));
  batch.items.push_back(item(1, json::object(), "bad"));
  self->send(reducer, admit_atom::value, std::move(batch));

  const auto report = wait_for_end();
  BOOST_TEST(report.error == "cannot write the output: the stream is gone");
  BOOST_TEST(sink->lines.size() == 1u);
}
