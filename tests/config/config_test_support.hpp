#pragma once
// Shared helpers of the config suites: parse a job text and look for one diagnostic.

#include <sstream>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "config/job_loader.hpp"

namespace parallm::config::testing {

inline job_load_result parse(const std::string& text, const std::vector<std::string>& sets = {}) {
  return parse_job(text, "job.yaml", sets);
}

inline std::string all_errors(const job_load_result& result) {
  std::ostringstream out;
  for (const auto& e : result.errors) out << e.to_string() << "\n";
  return out.str();
}

// The job of a text that must be valid; fails the test with the errors otherwise.
inline job valid(const std::string& text, const std::vector<std::string>& sets = {}) {
  const auto result = parse(text, sets);
  BOOST_TEST_REQUIRE(result.errors.empty(), all_errors(result));
  BOOST_TEST_REQUIRE(result.value.has_value());
  return *result.value;
}

// The first diagnostic about field; fails the test when there is none.
inline diagnostic error_at(const job_load_result& result, const std::string& field) {
  BOOST_TEST(!result.value.has_value());
  for (const auto& e : result.errors) {
    if (e.field == field) return e;
  }
  BOOST_TEST_FAIL("no error for field '" + field + "' in:\n" + all_errors(result));
  return {};
}

inline bool mentions(const diagnostic& d, const std::string& text) {
  return d.message.find(text) != std::string::npos;
}

}  // namespace parallm::config::testing
