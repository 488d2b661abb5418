#define BOOST_TEST_MODULE openai_batch
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "batch/openai_batch.hpp"

using parallm::batch::batch_output_line;
using parallm::batch::looks_like_openai_batch;
using parallm::batch::parse_batch_request;

namespace {

constexpr const char* chat_line =
    R"({"custom_id": "request-1", "method": "POST", "url": "/v1/chat/completions", )"
    R"("body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}})";

std::vector<std::string> keys_in_order(const std::string& line) {
  const auto parsed = nlohmann::ordered_json::parse(line);
  std::vector<std::string> keys;
  for (const auto& [key, value] : parsed.items()) keys.push_back(key);
  return keys;
}

}  // namespace

BOOST_AUTO_TEST_CASE(blank_lines_are_not_requests) {
  BOOST_TEST(!parse_batch_request("", 1).has_value());
  BOOST_TEST(!parse_batch_request(" \t\r", 2).has_value());
}

BOOST_AUTO_TEST_CASE(a_valid_line_keeps_every_field_and_the_body_unchanged) {
  const auto request = parse_batch_request(chat_line, 3);
  BOOST_TEST_REQUIRE(request.has_value());
  BOOST_TEST(request->error.empty());
  BOOST_TEST(request->line == 3u);
  BOOST_TEST(request->custom_id == "request-1");
  BOOST_TEST(request->method == "POST");
  BOOST_TEST(request->url == "/v1/chat/completions");
  BOOST_TEST(request->body.at("model") == "gpt-4o-mini");
  BOOST_TEST(request->body.at("messages").at(0).at("content") == "Hi");
}

BOOST_AUTO_TEST_CASE(messages_urls_and_extra_fields_are_accepted) {
  const auto request = parse_batch_request(
      R"({"custom_id": "a", "method": "POST", "url": "/v1/messages", "body": {}, "x": 1})", 1);
  BOOST_TEST(request->error.empty());
  BOOST_TEST(request->url == "/v1/messages");
  BOOST_TEST(request->body.empty());
}

BOOST_AUTO_TEST_CASE(invalid_json_and_non_objects_have_no_custom_id) {
  const auto broken = parse_batch_request(R"({"custom_id": "a")", 5);
  BOOST_TEST(broken->custom_id.empty());
  BOOST_TEST(broken->error.starts_with("line 5: not a JSON object (parse error"));
  BOOST_TEST(broken->error.find("json.exception") == std::string::npos);
  const auto array = parse_batch_request("[1, 2]", 6);
  BOOST_TEST(array->custom_id.empty());
  BOOST_TEST(array->error == "line 6: expected a JSON object");
}

BOOST_AUTO_TEST_CASE(custom_id_must_be_a_non_empty_string) {
  for (const auto* text :
       {R"({"method": "POST", "url": "/v1/messages", "body": {}})",
        R"({"custom_id": "", "method": "POST", "url": "/v1/messages", "body": {}})",
        R"({"custom_id": 7, "method": "POST", "url": "/v1/messages", "body": {}})"}) {
    const auto request = parse_batch_request(text, 4);
    BOOST_TEST(request->error == "line 4: field 'custom_id' must be a non-empty string");
    BOOST_TEST(request->custom_id.empty());
  }
}

BOOST_AUTO_TEST_CASE(method_must_be_post_and_the_custom_id_is_kept) {
  for (const auto* text : {R"({"custom_id": "c", "url": "/v1/messages", "body": {}})",
                           R"({"custom_id": "c", "method": "GET", "url": "/v1/x", "body": {}})",
                           R"({"custom_id": "c", "method": 1, "url": "/v1/x", "body": {}})"}) {
    const auto request = parse_batch_request(text, 2);
    BOOST_TEST(request->error == "line 2: field 'method' must be \"POST\"");
    BOOST_TEST(request->custom_id == "c");
  }
}

BOOST_AUTO_TEST_CASE(url_must_be_a_path) {
  for (const auto* text :
       {R"({"custom_id": "c", "method": "POST", "body": {}})",
        R"({"custom_id": "c", "method": "POST", "url": "v1/messages", "body": {}})",
        R"({"custom_id": "c", "method": "POST", "url": "https://x/v1/messages", "body": {}})",
        R"({"custom_id": "c", "method": "POST", "url": ["/v1"], "body": {}})"}) {
    const auto request = parse_batch_request(text, 9);
    BOOST_TEST(request->error == "line 9: field 'url' must be a path starting with '/'");
    BOOST_TEST(request->custom_id == "c");
  }
}

BOOST_AUTO_TEST_CASE(body_must_be_an_object) {
  for (const auto* text :
       {R"({"custom_id": "c", "method": "POST", "url": "/v1/messages"})",
        R"({"custom_id": "c", "method": "POST", "url": "/v1/messages", "body": "{}"})",
        R"({"custom_id": "c", "method": "POST", "url": "/v1/messages", "body": null})"}) {
    const auto request = parse_batch_request(text, 4);
    BOOST_TEST(request->error == "line 4: field 'body' must be an object");
    BOOST_TEST(request->custom_id == "c");
  }
}

BOOST_AUTO_TEST_CASE(batch_files_are_recognised_by_custom_id_url_and_body) {
  BOOST_TEST(looks_like_openai_batch(chat_line));
  BOOST_TEST(looks_like_openai_batch(R"({"custom_id": 1, "url": 2, "body": 3})"));
  BOOST_TEST(!looks_like_openai_batch(R"({"id": "doc-1", "topic": "cats"})"));
  BOOST_TEST(!looks_like_openai_batch(R"({"custom_id": "a", "body": {}})"));
  BOOST_TEST(!looks_like_openai_batch(R"({"custom_id": "a", "url": "/v1/messages"})"));
  BOOST_TEST(!looks_like_openai_batch(R"([{"custom_id": "a", "url": "/", "body": {}}])"));
  BOOST_TEST(!looks_like_openai_batch(R"({"custom_id": "a", "url": "/", "body": {})"));
  BOOST_TEST(!looks_like_openai_batch(""));
}

BOOST_AUTO_TEST_CASE(a_success_line_has_the_response_and_a_null_error) {
  const nlohmann::json body = {{"object", "chat.completion"}, {"choices", {{{"index", 0}}}}};
  const auto line = batch_output_line("request-1", 1, 0, 0x2a, 200, "req_abc", &body, "", "");
  BOOST_TEST(line.find('\n') == std::string::npos);
  BOOST_TEST(
      (keys_in_order(line) == std::vector<std::string>{"id", "custom_id", "response", "error"}));
  const auto parsed = nlohmann::json::parse(line);
  BOOST_TEST(parsed.at("id") == "batch_req_000000000000002a");
  BOOST_TEST(parsed.at("custom_id") == "request-1");
  BOOST_TEST(parsed.at("response").at("status_code") == 200);
  BOOST_TEST(parsed.at("response").at("request_id") == "req_abc");
  BOOST_TEST(parsed.at("response").at("body") == body);
  BOOST_TEST(parsed.at("error").is_null());
  const auto response = nlohmann::ordered_json::parse(line).at("response").dump();
  BOOST_TEST(response.starts_with(R"({"status_code":200,"request_id":"req_abc","body":)"));
}

BOOST_AUTO_TEST_CASE(an_http_error_line_keeps_the_error_body_and_names_the_error) {
  const nlohmann::json body = {{"error", {{"message", "bad model"}, {"type", "invalid"}}}};
  const auto parsed = nlohmann::json::parse(
      batch_output_line("c\"q", 1, 0, 7, 400, "req_1", &body, "http_400", "bad model"));
  BOOST_TEST(parsed.at("id") == "batch_req_0000000000000007");
  BOOST_TEST(parsed.at("custom_id") == "c\"q");
  BOOST_TEST(parsed.at("response").at("status_code") == 400);
  BOOST_TEST(parsed.at("response").at("body") == body);
  BOOST_TEST(parsed.at("error").at("code") == "http_400");
  BOOST_TEST(parsed.at("error").at("message") == "bad model");
}

BOOST_AUTO_TEST_CASE(an_unparsable_response_body_is_null) {
  const auto parsed = nlohmann::json::parse(
      batch_output_line("c", 1, 0, 1, 200, "", nullptr, "malformed_response", "not JSON"));
  BOOST_TEST(parsed.at("response").at("status_code") == 200);
  BOOST_TEST(parsed.at("response").at("body").is_null());
  BOOST_TEST(parsed.at("error").at("code") == "malformed_response");
}

BOOST_AUTO_TEST_CASE(a_transport_error_has_a_null_response) {
  const auto line = batch_output_line("c", 1, 0, 0xffffffffffffffffULL, 0, "", nullptr,
                                      "connection_error", "refused \xff");
  const auto parsed = nlohmann::json::parse(line);
  BOOST_TEST(parsed.at("id") == "batch_req_ffffffffffffffff");
  BOOST_TEST(parsed.at("response").is_null());
  BOOST_TEST(parsed.at("error").at("code") == "connection_error");
  BOOST_TEST(parsed.at("error").at("message") == "refused \xef\xbf\xbd");
  BOOST_TEST(
      (keys_in_order(line) == std::vector<std::string>{"id", "custom_id", "response", "error"}));
}

BOOST_AUTO_TEST_CASE(an_ok_result_line_becomes_a_batch_response) {
  const auto result =
      R"({"id":"req-1","line":1,"status":"ok","output":{"body":{"id":"chatcmpl-9","choices":[]},)"
      R"("request_id":"chatcmpl-9","status_code":200},"nodes":{},"usage":{},"error":null})";
  const auto parsed = nlohmann::json::parse(parallm::batch::batch_output_from_result(result, 0, 3));
  BOOST_TEST(parsed.at("custom_id") == "req-1");
  BOOST_TEST(parsed.at("id") == "batch_req_0000000000000003");
  BOOST_TEST(parsed.at("response").at("status_code") == 200);
  BOOST_TEST(parsed.at("response").at("request_id") == "chatcmpl-9");
  BOOST_TEST(parsed.at("response").at("body").at("id") == "chatcmpl-9");
  BOOST_TEST(parsed.at("error").is_null());
}

BOOST_AUTO_TEST_CASE(a_failed_result_line_becomes_a_batch_error) {
  const auto result =
      R"j({"id":"req-2","line":2,"status":"failed","output":null,"nodes":{},"usage":{},)j"
      R"j("error":"node 'request': HTTP 503 (gave up after 5 attempts)"})j";
  const auto parsed = nlohmann::json::parse(parallm::batch::batch_output_from_result(result, 0, 4));
  BOOST_TEST(parsed.at("custom_id") == "req-2");
  BOOST_TEST(parsed.at("response").is_null());
  BOOST_TEST(parsed.at("error").at("code") == "request_failed");
  BOOST_TEST(parsed.at("error").at("message") ==
             "node 'request': HTTP 503 (gave up after 5 attempts)");
}

BOOST_AUTO_TEST_CASE(line_ids_mix_in_the_run_nonce_so_runs_do_not_repeat_them) {
  const auto id = [](std::uint64_t nonce, std::uint64_t seq) {
    return nlohmann::json::parse(batch_output_line("c", 1, nonce, seq, 0, "", nullptr, "x", "y"))
        .at("id")
        .get<std::string>();
  };
  BOOST_TEST(id(0, 5) == "batch_req_0000000000000005");
  BOOST_TEST(id(0x1234abcd00000000ULL, 5) == "batch_req_1234abcd00000005");
  BOOST_TEST(id(7, 0) != id(8, 0));
  BOOST_TEST(id(7, 0) != id(7, 1));
}

BOOST_AUTO_TEST_CASE(a_result_without_an_id_has_a_null_custom_id_and_its_line) {
  const auto result = R"j({"id":null,"line":6,"status":"failed","output":null,"nodes":{},)j"
                      R"j("usage":{},"error":"line 6: not a JSON object"})j";
  const auto line = parallm::batch::batch_output_from_result(result, 0, 4);
  BOOST_TEST((keys_in_order(line) ==
              std::vector<std::string>{"id", "custom_id", "line", "response", "error"}));
  const auto parsed = nlohmann::json::parse(line);
  BOOST_TEST(parsed.at("custom_id").is_null());
  BOOST_TEST(parsed.at("line") == 6);
  BOOST_TEST(parsed.at("error").at("message") == "line 6: not a JSON object");
}

BOOST_AUTO_TEST_CASE(a_custom_id_keeps_its_json_type) {
  const auto result = R"({"id":9,"line":1,"status":"failed","output":null,"error":"x"})";
  const auto parsed = nlohmann::json::parse(parallm::batch::batch_output_from_result(result, 0, 0));
  BOOST_TEST(parsed.at("custom_id") == 9);
  BOOST_TEST(!parsed.contains("line"));
}

BOOST_AUTO_TEST_CASE(a_request_nesting_deeper_than_the_limit_fails_without_being_parsed) {
  // Its body would be dumped whole into the HTTP request, recursively.
  const std::string deep =
      R"({"custom_id": "deep", "method": "POST", "url": "/v1/chat/completions", "body": {"x": )" +
      std::string(100000, '[') + std::string(100000, ']') + "}}";
  const auto request = parse_batch_request(deep, 9);
  BOOST_TEST_REQUIRE(request.has_value());
  BOOST_TEST(request->error == "line 9: nested more than 128 levels deep (arrays and objects)");
  BOOST_TEST(request->custom_id.empty());
}
