#define BOOST_TEST_MODULE client_ledger
#include <boost/test/unit_test.hpp>

#include "nodes/client_ledger.hpp"

using namespace parallm::nodes;

BOOST_AUTO_TEST_SUITE(batches_per_client)

BOOST_AUTO_TEST_CASE(a_client_runs_at_most_its_batches_and_others_are_not_held_back) {
  client_ledger ledger(2, 100);
  BOOST_TEST(ledger.submit_arrived("c", 1));
  BOOST_TEST(ledger.submit_arrived("c", 2));
  BOOST_TEST(!ledger.submit_arrived("c", 3));
  BOOST_TEST(ledger.batches("c") == 2u);
  BOOST_TEST(ledger.submit_arrived("d", 1));
  // Taken, started, then ended: room for another.
  ledger.submit_taken("c");
  ledger.submit_taken("c");
  ledger.opened("c", 1);
  ledger.opened("c", 2);
  BOOST_TEST(!ledger.submit_arrived("c", 3));
  ledger.closed("c", 1);
  BOOST_TEST(ledger.submit_arrived("c", 3));
}

BOOST_AUTO_TEST_CASE(a_resubmit_of_a_running_batch_is_no_new_batch_but_waiting_ones_are_capped) {
  client_ledger ledger(2, 100);
  BOOST_TEST(ledger.submit_arrived("c", 1));
  BOOST_TEST(ledger.submit_arrived("c", 1));
  // Two submits wait in the node already: a third, even of the same batch, is refused.
  BOOST_TEST(!ledger.submit_arrived("c", 1));
  ledger.submit_taken("c");
  BOOST_TEST(ledger.submit_arrived("c", 1));
  BOOST_TEST(ledger.batches("c") == 1u);
}

BOOST_AUTO_TEST_CASE(a_refused_job_frees_its_place) {
  client_ledger ledger(1, 100);
  BOOST_TEST(ledger.submit_arrived("c", 1));
  ledger.submit_taken("c");
  ledger.closed("c", 1);  // the job did not load
  BOOST_TEST(ledger.batches("c") == 0u);
  BOOST_TEST(ledger.submit_arrived("c", 2));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(status)

BOOST_AUTO_TEST_CASE(one_status_request_per_client_waits_for_its_answer) {
  client_ledger ledger(1, 1);
  BOOST_TEST(ledger.status_asked("c"));
  BOOST_TEST(!ledger.status_asked("c"));
  BOOST_TEST(ledger.status_asked("d"));
  ledger.status_answered("c");
  BOOST_TEST(ledger.status_asked("c"));
  // A client with nothing running or waiting is not kept.
  ledger.status_answered("c");
  ledger.status_answered("d");
  BOOST_TEST(ledger.batches("c") == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(credit)

BOOST_AUTO_TEST_CASE(lines_under_the_credit_and_the_slack_are_taken) {
  client_ledger ledger(4, 10);
  ledger.submit_arrived("c", 1);
  ledger.submit_taken("c");
  ledger.opened("c", 1);
  ledger.granted("c", 1, 100);
  BOOST_TEST((ledger.items_arrived("c", 1, 60) == items_verdict::take));
  BOOST_TEST((ledger.items_arrived("c", 1, 40) == items_verdict::take));
  // Past the credit, within the slack: a stale credit may explain it.
  BOOST_TEST((ledger.items_arrived("c", 1, 10) == items_verdict::take));
  ledger.granted("c", 1, 5);
  BOOST_TEST((ledger.items_arrived("c", 1, 5) == items_verdict::take));
}

BOOST_AUTO_TEST_CASE(past_the_slack_the_batch_is_refused_once_and_its_frames_dropped) {
  client_ledger ledger(4, 10);
  ledger.submit_arrived("c", 1);
  ledger.opened("c", 1);
  ledger.granted("c", 1, 100);
  ledger.opened("c", 2);
  ledger.granted("c", 2, 100);
  BOOST_TEST((ledger.items_arrived("c", 1, 111) == items_verdict::over_credit));
  BOOST_TEST((ledger.items_arrived("c", 1, 1) == items_verdict::refused));
  // The client's other batch is not touched.
  BOOST_TEST((ledger.items_arrived("c", 2, 100) == items_verdict::take));
  ledger.closed("c", 1);
  BOOST_TEST((ledger.items_arrived("c", 1, 1) == items_verdict::no_such_batch));
}

BOOST_AUTO_TEST_CASE(a_batch_not_running_takes_nothing) {
  client_ledger ledger(4, 10);
  BOOST_TEST((ledger.items_arrived("c", 1, 1) == items_verdict::no_such_batch));
  ledger.granted("c", 1, 100);  // for a batch that ended: nothing to count
  BOOST_TEST((ledger.items_arrived("c", 1, 1) == items_verdict::no_such_batch));
  BOOST_TEST(ledger.batches("c") == 0u);
}

BOOST_AUTO_TEST_CASE(a_batch_opened_again_counts_from_zero) {
  client_ledger ledger(4, 0);
  ledger.opened("c", 1);
  ledger.granted("c", 1, 10);
  BOOST_TEST((ledger.items_arrived("c", 1, 10) == items_verdict::take));
  // The client re-submitted: the old session's lines do not count against the new one.
  ledger.closed("c", 1);
  ledger.opened("c", 1);
  ledger.granted("c", 1, 10);
  BOOST_TEST((ledger.items_arrived("c", 1, 10) == items_verdict::take));
  BOOST_TEST((ledger.items_arrived("c", 1, 1) == items_verdict::over_credit));
}

BOOST_AUTO_TEST_SUITE_END()
