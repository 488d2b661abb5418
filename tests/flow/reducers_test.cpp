#define BOOST_TEST_MODULE reducers
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include "flow/reducers.hpp"

using namespace parallm::flow;
using nlohmann::json;

namespace {

branch ok(std::string label, json output) {
  return {std::move(label), true, std::move(output), {}};
}

branch failed(std::string label, std::string error) {
  return {std::move(label), false, nullptr, std::move(error)};
}

std::vector<branch> answers(std::initializer_list<const char*> texts) {
  std::vector<branch> branches;
  int i = 0;
  for (const char* text : texts) branches.push_back(ok("s[" + std::to_string(i++) + "]", text));
  return branches;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(collect)

BOOST_AUTO_TEST_CASE(maps_each_node_to_its_output_and_failed_ones_to_null) {
  const json story = "once";
  const json list = json::array({"a", "b"});
  const auto got = reduce_collect({{"story", &story}, {"poem", nullptr}, {"label", &list}});
  BOOST_TEST(got == (json{{"story", "once"}, {"poem", nullptr}, {"label", {"a", "b"}}}));
}

BOOST_AUTO_TEST_CASE(no_nodes_give_an_empty_object) {
  BOOST_TEST(reduce_collect({}) == json::object());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(concat)

BOOST_AUTO_TEST_CASE(joins_successes_with_the_separator) {
  const std::vector<branch> branches = {ok("a", "one"), failed("b", "x"), ok("c", 3),
                                        ok("d", json{{"k", 1}})};
  BOOST_TEST(reduce_concat(branches, " | ") == R"(one | 3 | {"k":1})");
}

BOOST_AUTO_TEST_CASE(nothing_to_join_is_empty) {
  BOOST_TEST(reduce_concat({failed("a", "x")}, "\n\n").empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(template_reducer)

BOOST_AUTO_TEST_CASE(renders_node_outputs_then_item_fields) {
  const json story = "S";
  const json labels = json::array({"x", "y"});
  const auto text = text_template::parse("{{story}}|{{poem}}|{{labels}}|{{topic}}");
  const auto got =
      reduce_template(text, {{"story", &story}, {"poem", nullptr}, {"labels", &labels}},
                      json{{"topic", "cats"}, {"story", "not this"}});
  BOOST_TEST(got.ok);
  BOOST_TEST(got.output == "S||x\n\ny|cats");
}

BOOST_AUTO_TEST_CASE(a_missing_variable_fails) {
  const auto got = reduce_template(text_template::parse("{{nope}}"), {}, json::object());
  BOOST_TEST(!got.ok);
  BOOST_TEST(got.error == "missing template variable 'nope'");
}

BOOST_AUTO_TEST_CASE(a_bad_template_fails_with_its_parse_error) {
  const auto got = reduce_template(text_template::parse("{{oops"), {}, json::object());
  BOOST_TEST(!got.ok);
  BOOST_TEST(got.error.rfind("bad template: ", 0) == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(vote)

BOOST_AUTO_TEST_CASE(the_most_common_normalized_answer_wins_with_its_first_original_text) {
  auto branches = answers({"  No ", "Yes", "yes  ", " YES", "no"});
  const auto got = reduce_vote(branches, 0);
  BOOST_TEST(got.ok);
  BOOST_TEST(got.output == "Yes");
  BOOST_TEST(got.votes.size() == 2u);
  BOOST_TEST(got.votes[0].first == "yes");
  BOOST_TEST(got.votes[0].second == 3);
  BOOST_TEST(got.votes[1].first == "no");
  BOOST_TEST(got.votes[1].second == 2);
}

BOOST_AUTO_TEST_CASE(inner_whitespace_is_collapsed) {
  auto branches = answers({"Very   good", "very good", "bad"});
  const auto got = reduce_vote(branches, 0);
  BOOST_TEST(got.output == "Very   good");
  BOOST_TEST(got.votes[0].first == "very good");
  BOOST_TEST(got.votes[0].second == 2);
}

BOOST_AUTO_TEST_CASE(a_tie_goes_to_the_answer_seen_first) {
  auto branches = answers({"no", "yes", "yes", "no"});
  BOOST_TEST(reduce_vote(branches, 0).output == "no");
  auto reversed = answers({"yes", "no", "no", "yes"});
  BOOST_TEST(reduce_vote(reversed, 0).output == "yes");
}

BOOST_AUTO_TEST_CASE(failed_branches_do_not_vote) {
  std::vector<branch> branches = {failed("s[0]", "timeout"), ok("s[1]", "no"),
                                  failed("s[2]", "timeout")};
  const auto got = reduce_vote(branches, 0);
  BOOST_TEST(got.ok);
  BOOST_TEST(got.output == "no");
}

BOOST_AUTO_TEST_CASE(quorum_met_wins) {
  auto branches = answers({"yes", "yes", "no", "yes"});
  const auto got = reduce_vote(branches, 3);
  BOOST_TEST(got.ok);
  BOOST_TEST(got.output == "yes");
}

BOOST_AUTO_TEST_CASE(quorum_missed_fails_with_the_tally) {
  auto branches = answers({"yes", "no", "maybe", "no", "yes"});
  const auto got = reduce_vote(branches, 3);
  BOOST_TEST(!got.ok);
  BOOST_TEST(got.error ==
             "no quorum: 'yes' has 2 votes, quorum is 3 (votes: yes 2, no 2, maybe 1)");
  BOOST_TEST(got.votes.size() == 3u);
}

BOOST_AUTO_TEST_CASE(empty_answers_are_marked_failed) {
  auto branches = answers({"  ", "yes"});
  const auto got = reduce_vote(branches, 0);
  BOOST_TEST(got.output == "yes");
  BOOST_TEST(!branches[0].ok);
  BOOST_TEST(branches[0].error == "empty answer");
}

BOOST_AUTO_TEST_CASE(no_successes_fail) {
  std::vector<branch> branches = {failed("s[0]", "x")};
  const auto got = reduce_vote(branches, 0);
  BOOST_TEST(!got.ok);
  BOOST_TEST(got.error == "no answers to vote on");
  std::vector<branch> none;
  BOOST_TEST(!reduce_vote(none, 0).ok);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(max_min)

BOOST_AUTO_TEST_CASE(pick_the_extreme_number_as_its_trimmed_text) {
  auto branches = answers({" 3 ", "10.50", "-2", "1e1"});
  BOOST_TEST(reduce_max(branches).output == "10.50");
  BOOST_TEST(reduce_min(branches).output == "-2");
}

BOOST_AUTO_TEST_CASE(ties_go_to_the_earliest_branch) {
  auto branches = answers({"1", "10", "1e1", "1.0"});
  BOOST_TEST(reduce_max(branches).output == "10");
  BOOST_TEST(reduce_min(branches).output == "1");
}

BOOST_AUTO_TEST_CASE(non_numbers_become_failed_branches) {
  auto branches = answers({"abc", "7", "5 apples", "nan"});
  const auto got = reduce_max(branches);
  BOOST_TEST(got.ok);
  BOOST_TEST(got.output == "7");
  BOOST_TEST(!branches[0].ok);
  BOOST_TEST(branches[0].error == "not a number: 'abc'");
  BOOST_TEST(branches[1].ok);
  BOOST_TEST(!branches[2].ok);
  BOOST_TEST(!branches[3].ok);
}

BOOST_AUTO_TEST_CASE(json_numbers_count_as_numbers) {
  std::vector<branch> branches = {ok("a", 4), ok("b", 2.5)};
  BOOST_TEST(reduce_min(branches).output == "2.5");
}

BOOST_AUTO_TEST_CASE(no_numbers_fail) {
  auto branches = answers({"x", "y"});
  const auto got = reduce_min(branches);
  BOOST_TEST(!got.ok);
  BOOST_TEST(got.error == "no branch gave a number");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(first)

BOOST_AUTO_TEST_CASE(keeps_the_first_success_in_branch_order) {
  const std::vector<branch> branches = {failed("a", "x"), ok("b", "B"), ok("c", "C")};
  const auto got = reduce_first(branches);
  BOOST_TEST(got.ok);
  BOOST_TEST(got.output == "B");
}

BOOST_AUTO_TEST_CASE(keeps_non_string_outputs_as_they_are) {
  BOOST_TEST(reduce_first({ok("a", json{{"k", 1}})}).output == (json{{"k", 1}}));
}

BOOST_AUTO_TEST_CASE(no_success_fails) {
  const auto got = reduce_first({failed("a", "x"), failed("b", "y")});
  BOOST_TEST(!got.ok);
  BOOST_TEST(got.error == "no branch succeeded");
}

BOOST_AUTO_TEST_SUITE_END()
