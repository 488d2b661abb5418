#define BOOST_TEST_MODULE endpoint
#include <boost/test/unit_test.hpp>

#include "providers/endpoint.hpp"

using namespace parallm;
using providers::batch_request_url;
using providers::group_endpoints;
using providers::is_loopback_url;

namespace {

config::provider_spec openai(std::string base_url, std::string model, std::string key_env) {
  config::provider_spec p;
  p.kind = config::provider_kind::openai;
  p.base_url = std::move(base_url);
  p.model = std::move(model);
  p.api_key_env = std::move(key_env);
  return p;
}

}  // namespace

BOOST_AUTO_TEST_CASE(overrides_that_change_only_params_are_the_same_endpoint) {
  auto job_provider = openai("http://h:1/v1", "m", "KEY");
  auto hot = job_provider;
  hot.params = {{"temperature", 1.5}};
  auto other_model = openai("http://h:1/v1", "m2", "KEY");
  auto other_key = openai("http://h:1/v1", "m", "KEY2");
  auto other_host = openai("http://h:2/v1", "m", "KEY");
  auto anthropic = job_provider;
  anthropic.kind = config::provider_kind::anthropic;
  const auto groups =
      group_endpoints({job_provider, hot, other_model, hot, other_key, other_host, anthropic});
  BOOST_TEST(groups.endpoint_of == (std::vector<std::uint32_t>{0, 0, 1, 0, 2, 3, 4}),
             boost::test_tools::per_element());
  BOOST_TEST(groups.first_provider == (std::vector<std::uint32_t>{0, 2, 4, 5, 6}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(loopback_hosts) {
  BOOST_TEST(is_loopback_url("http://127.0.0.1:8000/v1"));
  BOOST_TEST(is_loopback_url("http://localhost/v1"));
  BOOST_TEST(is_loopback_url("https://[::1]:443/v1"));
  BOOST_TEST(is_loopback_url("http://user@127.0.0.2:1"));
  BOOST_TEST(!is_loopback_url("https://api.openai.com/v1"));
  BOOST_TEST(!is_loopback_url("http://10.0.0.5:8000/v1"));
  BOOST_TEST(!is_loopback_url("http://127.example.com/v1"));
  BOOST_TEST(!is_loopback_url("http://localhost.evil.com/v1"));
}

BOOST_AUTO_TEST_CASE(batch_paths_go_under_the_base_url) {
  BOOST_TEST(batch_request_url("http://h:1/v1", "/v1/embeddings").value() ==
             "http://h:1/v1/embeddings");
  BOOST_TEST(batch_request_url("http://h:1/v1/", "/v1/chat/completions").value() ==
             "http://h:1/v1/chat/completions");
  BOOST_TEST(batch_request_url("http://h:1", "/v1/completions").value() ==
             "http://h:1/v1/completions");
  BOOST_TEST(batch_request_url("http://h:1/proxy/v1", "/v1/responses").value() ==
             "http://h:1/proxy/v1/responses");
}

BOOST_AUTO_TEST_CASE(paths_the_batch_api_does_not_serve_are_refused) {
  BOOST_TEST(!batch_request_url("http://h:1/v1", "/v1/images/generations"));
  BOOST_TEST(!batch_request_url("http://h:1/v1", "/v1/chat/completions/../x"));
  BOOST_TEST(!batch_request_url("http://h:1/v1", ""));
}
