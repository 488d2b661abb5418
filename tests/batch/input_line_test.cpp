#define BOOST_TEST_MODULE input_line
#include <boost/test/unit_test.hpp>

#include <string>

#include "batch/input_line.hpp"

using parallm::batch::duplicate_id_error;
using parallm::batch::parse_input_line;

BOOST_AUTO_TEST_CASE(blank_lines_are_skipped) {
  BOOST_TEST(!parse_input_line("", 1).has_value());
  BOOST_TEST(!parse_input_line("  \t \r", 2).has_value());
}

BOOST_AUTO_TEST_CASE(string_id_is_kept_as_quoted_json_text_and_fields_kept) {
  const auto item = parse_input_line(R"({"id": "doc-7", "topic": "cats"})", 3);
  BOOST_TEST_REQUIRE(item.has_value());
  BOOST_TEST(item->error.empty());
  BOOST_TEST(item->line == 3u);
  BOOST_TEST(item->id == R"("doc-7")");
  BOOST_TEST(item->fields.at("topic") == "cats");
}

BOOST_AUTO_TEST_CASE(integer_ids_become_decimal_text_without_quotes) {
  BOOST_TEST(parse_input_line(R"({"id": 42})", 1)->id == "42");
  BOOST_TEST(parse_input_line(R"({"id": -5})", 1)->id == "-5");
  BOOST_TEST(parse_input_line(R"({"id": 18446744073709551615})", 1)->id == "18446744073709551615");
}

BOOST_AUTO_TEST_CASE(a_number_and_a_string_that_look_alike_are_two_ids) {
  BOOST_TEST(parse_input_line(R"({"id": 7})", 1)->id == "7");
  BOOST_TEST(parse_input_line(R"({"id": "7"})", 1)->id == R"("7")");
}

BOOST_AUTO_TEST_CASE(string_ids_are_written_canonically_so_equal_ids_have_equal_text) {
  BOOST_TEST(parse_input_line(R"({"id": "a\u0062"})", 1)->id == R"("ab")");
  BOOST_TEST(parse_input_line(R"({"id": "q\"x\\"})", 1)->id == R"("q\"x\\")");
  BOOST_TEST(parse_input_line(R"({"id": "\u00e9"})", 1)->id == "\"\xC3\xA9\"");
}

BOOST_AUTO_TEST_CASE(custom_id_is_used_without_id_and_id_wins_over_it) {
  BOOST_TEST(parse_input_line(R"({"custom_id": "req-1", "body": {}})", 1)->id == R"("req-1")");
  BOOST_TEST(parse_input_line(R"({"custom_id": 9})", 1)->id == "9");
  BOOST_TEST(parse_input_line(R"({"custom_id": "c", "id": "i"})", 1)->id == R"("i")");
}

BOOST_AUTO_TEST_CASE(without_an_id_the_item_has_none_and_runs) {
  const auto item = parse_input_line(R"(  {"topic": "dogs"}  )", 17);
  BOOST_TEST(item->error.empty());
  BOOST_TEST(item->id.empty());
  BOOST_TEST(item->line == 17u);
}

BOOST_AUTO_TEST_CASE(other_id_types_are_errors_naming_the_field) {
  for (const auto* text : {R"({"id": 1.5})", R"({"id": null})", R"({"id": true})",
                           R"({"id": ["a"]})", R"({"id": {"x": 1}})"}) {
    const auto item = parse_input_line(text, 7);
    BOOST_TEST(item->error == "line 7: field 'id' must be a string or an integer");
    BOOST_TEST(item->id.empty());
  }
  BOOST_TEST(parse_input_line(R"({"custom_id": 2.5})", 8)->error ==
             "line 8: field 'custom_id' must be a string or an integer");
}

BOOST_AUTO_TEST_CASE(invalid_json_is_an_error_with_the_parser_message) {
  const auto item = parse_input_line(R"({"topic": "cats")", 7);
  BOOST_TEST_REQUIRE(item.has_value());
  BOOST_TEST(item->id.empty());
  BOOST_TEST(item->error.starts_with("line 7: not a JSON object (parse error at line 1"));
  BOOST_TEST(item->error.find("json.exception") == std::string::npos);
  BOOST_TEST(item->error.ends_with(")"));
}

BOOST_AUTO_TEST_CASE(trailing_garbage_after_the_object_is_an_error) {
  const auto item = parse_input_line(R"({"a": 1} {"b": 2})", 4);
  BOOST_TEST(item->error.starts_with("line 4: not a JSON object ("));
}

BOOST_AUTO_TEST_CASE(json_that_is_not_an_object_is_an_error_naming_its_type) {
  BOOST_TEST(parse_input_line("[1, 2]", 7)->error ==
             "line 7: expected a JSON object, got an array");
  BOOST_TEST(parse_input_line("\"text\"", 7)->error ==
             "line 7: expected a JSON object, got a string");
  BOOST_TEST(parse_input_line("12", 7)->error == "line 7: expected a JSON object, got a number");
  BOOST_TEST(parse_input_line("null", 7)->error == "line 7: expected a JSON object, got null");
  BOOST_TEST(parse_input_line("[1]", 9)->id.empty());
}

BOOST_AUTO_TEST_CASE(invalid_utf8_is_an_error_not_an_exception) {
  const std::string text = "{\"topic\": \"\xff\xfe\"}";
  BOOST_TEST(parse_input_line(text, 2)->error.starts_with("line 2: not a JSON object ("));
}

BOOST_AUTO_TEST_CASE(a_duplicate_names_the_id_as_written_and_the_first_line) {
  BOOST_TEST(duplicate_id_error(R"("a")", 3) == R"(duplicate id "a" (first on line 3))");
  BOOST_TEST(duplicate_id_error("7", 1) == "duplicate id 7 (first on line 1)");
  BOOST_TEST(duplicate_id_error("7", 0) == "duplicate id 7");
}

BOOST_AUTO_TEST_CASE(a_line_nesting_deeper_than_the_limit_fails_without_being_parsed) {
  // 100000 levels parsed fine and then overflowed the stack of the thread that wrote the
  // value into a prompt (found by fuzz/input_line_fuzz).
  const std::string deep =
      R"({"id": 1, "a": )" + std::string(100000, '[') + std::string(100000, ']') + "}";
  const auto item = parse_input_line(deep, 4);
  BOOST_TEST_REQUIRE(item.has_value());
  BOOST_TEST(item->error == "line 4: nested more than 128 levels deep (arrays and objects)");
  BOOST_TEST(item->id.empty());
  BOOST_TEST(item->fields.is_object());
  BOOST_TEST(parse_input_line(std::string(100000, '['), 2)->error ==
             "line 2: nested more than 128 levels deep (arrays and objects)");
  // The object itself is one level: 127 arrays inside it are the most a line may hold.
  const auto at = [](int arrays) {
    return R"({"a": )" + std::string(arrays, '[') + std::string(arrays, ']') + "}";
  };
  BOOST_TEST(parse_input_line(at(127), 1)->error.empty());
  BOOST_TEST(!parse_input_line(at(128), 1)->error.empty());
  // Brackets inside strings are text, not nesting.
  const auto text = parse_input_line(R"({"a": ")" + std::string(1000, '[') + R"("})", 1);
  BOOST_TEST(text->error.empty());
}
