#define BOOST_TEST_MODULE failure_policy
#include <boost/test/unit_test.hpp>

#include "flow/failure_policy.hpp"

using parallm::flow::describe_failure;
using parallm::flow::judge;
using parallm::flow::verdict;

BOOST_AUTO_TEST_CASE(all_succeeded_is_ok) {
  BOOST_TEST((judge(3, 3, std::nullopt) == verdict::ok));
  BOOST_TEST((judge(3, 3, 1) == verdict::ok));
}

BOOST_AUTO_TEST_CASE(no_branches_is_ok) {
  BOOST_TEST((judge(0, 0, std::nullopt) == verdict::ok));
  BOOST_TEST((judge(0, 0, 2) == verdict::ok));
}

BOOST_AUTO_TEST_CASE(unset_min_success_means_all_must_succeed) {
  BOOST_TEST((judge(3, 2, std::nullopt) == verdict::failed));
  BOOST_TEST((judge(1, 0, std::nullopt) == verdict::failed));
}

BOOST_AUTO_TEST_CASE(enough_successes_are_partial) {
  BOOST_TEST((judge(3, 2, 2) == verdict::partial));
  BOOST_TEST((judge(5, 3, 2) == verdict::partial));
  BOOST_TEST((judge(3, 0, 0) == verdict::partial));
}

BOOST_AUTO_TEST_CASE(too_few_successes_fail) {
  BOOST_TEST((judge(3, 1, 2) == verdict::failed));
  BOOST_TEST((judge(5, 0, 1) == verdict::failed));
}

BOOST_AUTO_TEST_CASE(the_description_names_counts_and_branch_errors) {
  BOOST_TEST(describe_failure(3, 1, 2, {"story: timeout", "poem: http 500"}) ==
             "1 of 3 branches succeeded, min_success 2: story: timeout; poem: http 500");
  BOOST_TEST(describe_failure(2, 1, std::nullopt, {"a: x"}) ==
             "1 of 2 branches succeeded, min_success 2: a: x");
}

BOOST_AUTO_TEST_CASE(the_description_lists_at_most_five_errors) {
  const std::vector<std::string> errors = {"0: e", "1: e", "2: e", "3: e", "4: e", "5: e", "6: e"};
  BOOST_TEST(describe_failure(7, 0, std::nullopt, errors) ==
             "0 of 7 branches succeeded, min_success 7: 0: e; 1: e; 2: e; 3: e; 4: e; "
             "\u2026and 2 more");
}
