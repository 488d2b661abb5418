#define BOOST_TEST_MODULE config_diagnostic
#include <boost/test/unit_test.hpp>

#include "config/diagnostic.hpp"

using parallm::config::diagnostic;

BOOST_AUTO_TEST_CASE(full_place_field_and_message) {
  const diagnostic d{"job.yaml", 12, 5, "nodes.poem.after", "unknown node 'x'"};
  BOOST_TEST(d.to_string() == "job.yaml:12:5: nodes.poem.after: unknown node 'x'");
}

BOOST_AUTO_TEST_CASE(no_line_drops_the_place) {
  const diagnostic d{"--set", 0, 0, "limits.concurrency", "expected KEY=VALUE"};
  BOOST_TEST(d.to_string() == "--set: limits.concurrency: expected KEY=VALUE");
}

BOOST_AUTO_TEST_CASE(empty_field_is_left_out) {
  const diagnostic d{"job.yaml", 3, 1, "", "YAML syntax error: bad"};
  BOOST_TEST(d.to_string() == "job.yaml:3:1: YAML syntax error: bad");
  const diagnostic no_place{"job.yaml", 0, 0, "", "cannot read job file: No such file"};
  BOOST_TEST(no_place.to_string() == "job.yaml: cannot read job file: No such file");
}

BOOST_AUTO_TEST_CASE(line_without_column) {
  const diagnostic d{"in.jsonl", 7, 0, "id", "duplicate id"};
  BOOST_TEST(d.to_string() == "in.jsonl:7: id: duplicate id");
}
