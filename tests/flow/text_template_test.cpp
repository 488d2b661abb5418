#define BOOST_TEST_MODULE text_template
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

#include "flow/text_template.hpp"

using nlohmann::json;
using parallm::flow::text_template;

namespace {

// Looks names up in one JSON object, like an item's fields.
struct object_lookup {
  const json& object;
  const json* operator()(std::string_view name) const {
    const auto it = object.find(name);
    return it == object.end() ? nullptr : &*it;
  }
};

std::string render_ok(std::string_view text, const json& values) {
  std::string out;
  std::string missing;
  BOOST_REQUIRE(text_template::parse(text).render(object_lookup{values}, out, missing));
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(literal_text_renders_unchanged) {
  BOOST_TEST(render_ok("no variables here", json::object()) == "no variables here");
  BOOST_TEST(render_ok("", json::object()) == "");
}

BOOST_AUTO_TEST_CASE(variables_are_replaced_and_listed_once) {
  const auto t = text_template::parse("{{a}} and {{ b }} and {{a}}");
  BOOST_TEST(t.error().empty());
  BOOST_TEST(t.variables() == (std::vector<std::string>{"a", "b"}));
  std::string out;
  std::string missing;
  BOOST_TEST(t.render(object_lookup{json{{"a", "x"}, {"b", "y"}}}, out, missing));
  BOOST_TEST(out == "x and y and x");
}

BOOST_AUTO_TEST_CASE(render_appends_to_existing_text) {
  std::string out = "prefix:";
  std::string missing;
  BOOST_TEST(text_template::parse("{{a}}").render(object_lookup{json{{"a", "v"}}}, out, missing));
  BOOST_TEST(out == "prefix:v");
}

BOOST_AUTO_TEST_CASE(scalars_render_as_json_text_and_null_as_nothing) {
  const json values = {{"n", 42}, {"f", 1.5}, {"t", true}, {"z", nullptr}};
  BOOST_TEST(render_ok("{{n}}|{{f}}|{{t}}|{{z}}|", values) == "42|1.5|true||");
  // Integers of both of nlohmann's types, at their ends, as dump() writes them.
  const json ends{{"min", std::numeric_limits<std::int64_t>::min()},
                  {"max", std::numeric_limits<std::uint64_t>::max()},
                  {"neg", -7},
                  {"zero", 0u}};
  BOOST_TEST(render_ok("{{min}} {{max}} {{neg}} {{zero}}", ends) ==
             ends["min"].dump() + " " + ends["max"].dump() + " -7 0");
}

BOOST_AUTO_TEST_CASE(lists_render_one_element_per_paragraph) {
  const json values = {{"l", json::array({"first", 2, json{{"k", "v"}}, "last"})}};
  BOOST_TEST(render_ok("{{l}}", values) == "first\n\n2\n\n{\"k\":\"v\"}\n\nlast");
  BOOST_TEST(render_ok("[{{e}}]", json{{"e", json::array()}}) == "[]");
}

BOOST_AUTO_TEST_CASE(objects_render_as_json) {
  BOOST_TEST(render_ok("{{o}}", json{{"o", {{"a", 1}, {"b", "x"}}}}) == R"({"a":1,"b":"x"})");
}

BOOST_AUTO_TEST_CASE(dotted_names_walk_into_objects) {
  const json values = {{"doc", {{"title", "T"}, {"meta", {{"year", 2024}}}}}};
  BOOST_TEST(render_ok("{{doc.title}} ({{doc.meta.year}})", values) == "T (2024)");
}

BOOST_AUTO_TEST_CASE(the_lookup_sees_only_the_first_segment) {
  std::vector<std::string> asked;
  const json doc = {{"title", "T"}};
  const auto lookup = [&](std::string_view name) -> const json* {
    asked.emplace_back(name);
    return &doc;
  };
  std::string out;
  std::string missing;
  BOOST_TEST(text_template::parse("{{doc.title}}").render(lookup, out, missing));
  BOOST_TEST(asked == std::vector<std::string>{"doc"});
  BOOST_TEST(out == "T");
}

BOOST_AUTO_TEST_CASE(a_missing_variable_fails_and_is_named) {
  std::string out;
  std::string missing;
  const auto t = text_template::parse("a {{present}} b {{absent}}");
  BOOST_TEST(!t.render(object_lookup{json{{"present", "p"}}}, out, missing));
  BOOST_TEST(missing == "absent");
}

BOOST_AUTO_TEST_CASE(a_missing_key_on_a_dotted_path_fails_with_the_full_name) {
  std::string out;
  std::string missing;
  const json values = {{"doc", {{"title", "T"}}}, {"s", "text"}};
  BOOST_TEST(!text_template::parse("{{doc.author}}").render(object_lookup{values}, out, missing));
  BOOST_TEST(missing == "doc.author");
  BOOST_TEST(!text_template::parse("{{s.length}}").render(object_lookup{values}, out, missing));
  BOOST_TEST(missing == "s.length");
}

BOOST_AUTO_TEST_CASE(a_template_that_does_not_parse_keeps_its_error_and_never_renders) {
  const auto t = text_template::parse("hello {{name");
  BOOST_TEST(!t.error().empty());
  BOOST_TEST(t.error().find("no closing") != std::string::npos);
  std::string out;
  std::string missing = "stale";
  BOOST_TEST(!t.render(object_lookup{json{{"name", "x"}}}, out, missing));
  BOOST_TEST(missing.empty());
  BOOST_TEST(!text_template::parse("{{ not a name }}").error().empty());
}

BOOST_AUTO_TEST_CASE(find_field_walks_dotted_names) {
  const json object = {{"a", {{"b", {{"c", 3}}}}}, {"s", "x"}};
  BOOST_REQUIRE(parallm::flow::find_field(object, "a.b.c") != nullptr);
  BOOST_TEST(*parallm::flow::find_field(object, "a.b.c") == 3);
  BOOST_TEST(parallm::flow::find_field(object, "a.x") == nullptr);
  BOOST_TEST(parallm::flow::find_field(object, "s.y") == nullptr);
  BOOST_TEST(parallm::flow::find_field(object, "missing") == nullptr);
}
