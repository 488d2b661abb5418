#define BOOST_TEST_MODULE fuzz_corpus_replay
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz/fuzz_entries.hpp"

namespace fs = std::filesystem;
using parallm::fuzz::verdict;

namespace {

// The files of fuzz/<kind>/<target>/, sorted so that a failure names the same file every run.
std::vector<fs::path> files_of(const std::string& kind, std::string_view target) {
  std::vector<fs::path> files;
  const fs::path dir = fs::path(PARALLM_FUZZ_DIR) / kind / target;
  if (!fs::is_directory(dir)) return files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

// A broken invariant aborts the test binary, and an escaping exception fails the check, so a
// seed or regression that crashes fails here under the plain g++ build too. Each corpus must
// still reach its reader's accepting paths, not only its refusals.
BOOST_AUTO_TEST_CASE(every_seed_runs_and_each_corpus_has_inputs_the_readers_accept) {
  for (const auto& target : parallm::fuzz::targets()) {
    const auto seeds = files_of("corpus", target.name);
    BOOST_TEST_CONTEXT("target " << target.name) {
      BOOST_TEST(seeds.size() >= 3u);
      std::size_t accepted = 0;
      std::size_t refused = 0;
      for (const auto& seed : seeds) {
        BOOST_TEST_CHECKPOINT(seed.string());
        auto result = verdict::refused;
        BOOST_CHECK_NO_THROW(result = target.run(read_bytes(seed)));
        (result == verdict::accepted ? accepted : refused) += 1;
      }
      BOOST_TEST(accepted > 0u);
      BOOST_TEST(refused > 0u);
    }
  }
}

BOOST_AUTO_TEST_CASE(every_input_a_fuzzer_crashed_on_now_runs) {
  std::size_t replayed = 0;
  for (const auto& target : parallm::fuzz::targets()) {
    for (const auto& input : files_of("regressions", target.name)) {
      BOOST_TEST_CHECKPOINT(input.string());
      BOOST_CHECK_NO_THROW(target.run(read_bytes(input)));
      ++replayed;
    }
  }
  BOOST_TEST_MESSAGE(replayed << " regression inputs replayed");
}
