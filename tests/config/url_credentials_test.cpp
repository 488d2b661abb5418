#define BOOST_TEST_MODULE config_url_credentials
#include <boost/test/unit_test.hpp>

#include "config/url_credentials.hpp"

using parallm::config::without_password;

BOOST_AUTO_TEST_CASE(a_password_in_the_userinfo_is_hidden) {
  BOOST_TEST(without_password("https://team:s3cr3t@proxy.example/v1") ==
             "https://team:***@proxy.example/v1");
  BOOST_TEST(without_password("http://u:p@127.0.0.1:8080") == "http://u:***@127.0.0.1:8080");
}

BOOST_AUTO_TEST_CASE(a_password_holding_at_signs_or_colons_is_hidden_whole) {
  BOOST_TEST(without_password("https://u:a@b:c@host/v1?x=1") == "https://u:***@host/v1?x=1");
}

BOOST_AUTO_TEST_CASE(urls_without_a_password_are_unchanged) {
  for (const char* url :
       {"https://api.openai.com/v1", "http://127.0.0.1:8000/v1", "https://user@host/v1",
        "https://host/v1/a@b", "https://host/path?q=a:b@c", "host:8080", "", "https://"}) {
    BOOST_TEST(without_password(url) == url);
  }
}

BOOST_AUTO_TEST_CASE(a_url_without_a_scheme_is_still_cleaned) {
  BOOST_TEST(without_password("user:pw@host/v1") == "user:***@host/v1");
}
