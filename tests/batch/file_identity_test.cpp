#define BOOST_TEST_MODULE file_identity
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <string>

#include <fcntl.h>
#include <unistd.h>

#include "batch/file_identity.hpp"
#include "temp_dir.hpp"

using namespace parallm::batch;
using parallm::batch::testing::temp_dir;

namespace {

std::optional<file_identity> identity_of(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  const auto id = regular_file_identity(fd);
  ::close(fd);
  return id;
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_input_through_any_name_is_refused) {
  temp_dir dir;
  const auto input = dir.write("in.jsonl", "{}\n");
  std::filesystem::create_symlink(input, dir.file("link.jsonl"));
  std::filesystem::create_hard_link(input, dir.file("hard.jsonl"));
  const auto id = identity_of(input);
  BOOST_TEST_REQUIRE(id.has_value());
  for (const auto* name : {"in.jsonl", "link.jsonl", "hard.jsonl"}) {
    BOOST_TEST(output_is_input(dir.file(name), id) ==
               "the output " + dir.file(name) + " is the input file; refusing to overwrite it");
  }
}

BOOST_AUTO_TEST_CASE(another_file_a_new_file_and_no_file_input_pass) {
  temp_dir dir;
  const auto input = dir.write("in.jsonl", "{}\n");
  const auto other = dir.write("out.jsonl", "{}\n");  // same content, another file
  const auto id = identity_of(input);
  BOOST_TEST(output_is_input(other, id).empty());
  BOOST_TEST(output_is_input(dir.file("new.jsonl"), id).empty());
  BOOST_TEST(output_is_input(input, std::nullopt).empty());  // stdin from a pipe
}

BOOST_AUTO_TEST_CASE(devices_and_pipes_have_no_file_identity) {
  BOOST_TEST(!identity_of("/dev/null").has_value());
  int ends[2];
  BOOST_TEST_REQUIRE(::pipe(ends) == 0);
  BOOST_TEST(!regular_file_identity(ends[0]).has_value());
  ::close(ends[0]);
  ::close(ends[1]);
}
