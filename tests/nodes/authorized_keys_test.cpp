#define BOOST_TEST_MODULE authorized_keys
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "nodes/authorized_keys.hpp"
#include "nodes/curve_keys.hpp"
#include "support/process.hpp"

using namespace parallm::nodes;
using parallm::test::temp_dir;
using parallm::test::write_file;

namespace {

bool mentions(const std::vector<std::string>& lines, const std::string& what) {
  for (const auto& line : lines) {
    if (line.find(what) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_key_file_in_the_directory_is_listed) {
  temp_dir dir;
  const auto a = generate_curve_keypair().public_key;
  const auto b = generate_curve_keypair().public_key;
  write_file(dir / "alice.public", a + "\n");
  write_file(dir / "bob", "  " + b);
  authorized_keys keys(dir.path());
  BOOST_TEST(keys.load());
  BOOST_TEST(keys.keys().size() == 2u);
  BOOST_TEST(keys.contains(a));
  BOOST_TEST(keys.contains(b));
  BOOST_TEST(!keys.contains(generate_curve_keypair().public_key));
  BOOST_TEST(keys.take_warnings().empty());
}

BOOST_AUTO_TEST_CASE(hidden_files_and_subdirectories_are_not_read) {
  temp_dir dir;
  const auto hidden = generate_curve_keypair().public_key;
  const auto nested = generate_curve_keypair().public_key;
  write_file(dir / ".old.public", hidden);
  std::filesystem::create_directory(dir / "sub");
  write_file(dir / "sub" / "n.public", nested);
  authorized_keys keys(dir.path());
  BOOST_TEST(keys.load());
  BOOST_TEST(keys.keys().empty());
  BOOST_TEST(keys.take_warnings().empty());
}

BOOST_AUTO_TEST_CASE(a_file_that_is_not_a_key_is_warned_about_once_and_skipped) {
  temp_dir dir;
  const auto a = generate_curve_keypair().public_key;
  write_file(dir / "a.public", a);
  write_file(dir / "README", "put public keys here\n");
  authorized_keys keys(dir.path());
  BOOST_TEST(keys.load());
  BOOST_TEST(keys.keys().size() == 1u);
  const auto first = keys.take_warnings();
  BOOST_TEST(first.size() == 1u);
  BOOST_TEST(mentions(first, "README"));
  BOOST_TEST(keys.load());
  BOOST_TEST(keys.take_warnings().empty());
  // Rewritten, and still no key: said again.
  write_file(dir / "README", "put public keys here, one per file\n");
  BOOST_TEST(keys.load());
  BOOST_TEST(mentions(keys.take_warnings(), "README"));
}

BOOST_AUTO_TEST_CASE(adding_removing_and_editing_a_key_file_are_changes) {
  temp_dir dir;
  authorized_keys keys(dir.path());
  BOOST_TEST(keys.changed());  // never loaded
  BOOST_TEST(keys.load());
  BOOST_TEST(!keys.changed());
  BOOST_TEST(keys.keys().empty());

  const auto a = generate_curve_keypair().public_key;
  write_file(dir / "a.public", a);
  BOOST_TEST(keys.changed());
  BOOST_TEST(keys.load());
  BOOST_TEST(keys.contains(a));
  BOOST_TEST(!keys.changed());

  const auto b = generate_curve_keypair().public_key;
  write_file(dir / "a.public", b + "\n");  // another size
  BOOST_TEST(keys.changed());
  BOOST_TEST(keys.load());
  BOOST_TEST(!keys.contains(a));
  BOOST_TEST(keys.contains(b));

  std::filesystem::remove(dir / "a.public");
  BOOST_TEST(keys.changed());
  BOOST_TEST(keys.load());
  BOOST_TEST(keys.keys().empty());
  BOOST_TEST(!keys.changed());
}

BOOST_AUTO_TEST_CASE(a_directory_that_cannot_be_read_admits_nobody_and_says_so_once) {
  temp_dir dir;
  const auto a = generate_curve_keypair().public_key;
  std::filesystem::create_directory(dir / "keys");
  write_file(dir / "keys" / "a.public", a);
  authorized_keys keys(dir / "keys");
  BOOST_TEST(keys.load());
  BOOST_TEST(keys.contains(a));
  std::filesystem::remove_all(dir / "keys");
  BOOST_TEST(keys.changed());
  BOOST_TEST(!keys.load());
  BOOST_TEST(!keys.contains(a));
  BOOST_TEST(mentions(keys.take_warnings(), "cannot be read"));
  BOOST_TEST(!keys.load());
  BOOST_TEST(keys.take_warnings().empty());
}
