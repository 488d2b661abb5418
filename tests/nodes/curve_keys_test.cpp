#define BOOST_TEST_MODULE curve_keys
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include <string>

#include "nodes/curve_keys.hpp"
#include "support/process.hpp"

using namespace parallm::nodes;
using parallm::test::temp_dir;
using parallm::test::write_file;

namespace {

// A pair made once by libzmq, so that the derivation is checked against known values.
const std::string known_secret = "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs";
const std::string known_public = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";

std::string write_with_mode(const temp_dir& dir, const std::string& name, const std::string& text,
                            mode_t mode) {
  const auto path = (dir / name).string();
  write_file(path, text);
  ::chmod(path.c_str(), mode);
  return path;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_z85_key_is_forty_valid_characters_whitespace_trimmed) {
  BOOST_TEST(parse_z85_key(known_public).value() == known_public);
  BOOST_TEST(parse_z85_key("  " + known_public + "\n").value() == known_public);
  BOOST_TEST(!parse_z85_key(known_public.substr(1)));
  BOOST_TEST(!parse_z85_key(known_public + "x"));
  BOOST_TEST(!parse_z85_key(known_public.substr(0, 39) + "~"));  // '~' is not Z85
  BOOST_TEST(!parse_z85_key(known_public.substr(0, 20) + " " + known_public.substr(21)));
  BOOST_TEST(!parse_z85_key(""));
}

BOOST_AUTO_TEST_CASE(the_public_key_is_derived_from_the_secret) {
  BOOST_TEST(public_key_of(known_secret).value() == known_public);
  BOOST_TEST(!public_key_of("not a key"));
  const auto fresh = generate_curve_keypair();
  BOOST_TEST(fresh.public_key.size() == z85_key_chars);
  BOOST_TEST(fresh.secret_key.size() == z85_key_chars);
  BOOST_TEST(public_key_of(fresh.secret_key).value() == fresh.public_key);
  BOOST_TEST(generate_curve_keypair().secret_key != fresh.secret_key);
}

BOOST_AUTO_TEST_CASE(binary_keys_become_z85_and_fingerprints_are_ten_characters) {
  std::string bytes(curve_key_bytes, '\0');
  BOOST_TEST(z85_of(bytes) == std::string(z85_key_chars, '0'));
  BOOST_TEST(z85_of("short").empty());
  BOOST_TEST(fingerprint(known_public) == known_public.substr(0, 10));
}

BOOST_AUTO_TEST_CASE(a_private_secret_key_file_gives_both_keys) {
  temp_dir dir;
  const auto path = write_with_mode(dir, "c.secret", known_secret + "\n", 0600);
  const auto pair = read_secret_key_file(path);
  BOOST_REQUIRE(pair.has_value());
  BOOST_TEST(pair.value().secret_key == known_secret);
  BOOST_TEST(pair.value().public_key == known_public);
}

BOOST_AUTO_TEST_CASE(a_secret_key_file_others_may_read_is_refused_by_name_not_by_content) {
  temp_dir dir;
  for (const mode_t mode : {0640, 0604, 0660, 0644, 0602}) {
    const auto path = write_with_mode(dir, "c.secret", known_secret, mode);
    const auto pair = read_secret_key_file(path);
    BOOST_REQUIRE(!pair.has_value());
    BOOST_TEST(pair.error().message.find(path) != std::string::npos);
    BOOST_TEST(pair.error().message.find("chmod 600") != std::string::npos);
    BOOST_TEST(pair.error().message.find(known_secret) == std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(a_secret_key_file_without_one_key_is_refused) {
  temp_dir dir;
  for (const std::string& text : {std::string(""), known_secret + known_secret,
                                  known_secret.substr(3), "hello\n" + known_secret}) {
    const auto path = write_with_mode(dir, "c.secret", text, 0600);
    const auto pair = read_secret_key_file(path);
    BOOST_REQUIRE(!pair.has_value());
    BOOST_TEST(pair.error().message.find("does not hold one 40-character Z85 key") !=
               std::string::npos);
    BOOST_TEST(pair.error().message.find(known_secret) == std::string::npos);
  }
  BOOST_TEST(!read_secret_key_file(dir / "missing.secret").has_value());
  BOOST_TEST(!read_secret_key_file(dir.path()).has_value());  // a directory
}

BOOST_AUTO_TEST_CASE(a_public_key_file_holds_one_key) {
  temp_dir dir;
  write_file(dir / "w.public", known_public + "\n");
  BOOST_TEST(read_public_key_file(dir / "w.public").value() == known_public);
  write_file(dir / "notes.txt", "remember the milk\n");
  const auto bad = read_public_key_file(dir / "notes.txt");
  BOOST_REQUIRE(!bad.has_value());
  BOOST_TEST(bad.error().message.find("notes.txt") != std::string::npos);
  BOOST_TEST(!read_public_key_file(dir / "missing.public").has_value());
}
