#pragma once
// Checks on a cluster batch's output shared by the end-to-end suites; include after
// <boost/test/unit_test.hpp>.

#include <cstddef>
#include <filesystem>
#include <map>
#include <string>

#include "support/jsonl.hpp"

namespace parallm::test {

// Every input id ("item-0" ... ) exactly once in `out`, every line ok, nothing else.
inline void check_each_item_once_and_ok(const std::filesystem::path& out, int items) {
  const auto lines = read_jsonl(out);
  BOOST_TEST(lines.size() == static_cast<std::size_t>(items));
  std::map<std::string, int> seen;
  for (const auto& line : lines) {
    ++seen[id_key(line)];
    BOOST_TEST(line.at("status") == "ok", line.dump());
  }
  for (int i = 0; i < items; ++i) {
    const auto id = "item-" + std::to_string(i);
    BOOST_TEST(seen[id] == 1, id << " written " << seen[id] << " times");
  }
  BOOST_TEST(seen.size() == static_cast<std::size_t>(items));
}

}  // namespace parallm::test
