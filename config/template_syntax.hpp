#pragma once
// The `{{name}}` template syntax, shared by validation (config/) and rendering (flow/).

#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace parallm::config {

struct template_piece {
  bool is_variable = false;
  std::string text;  // literal text, or the variable name (trimmed, may be dotted: doc.title)
};

struct template_parse {
  std::vector<template_piece> pieces;
  std::string error;  // empty when the text parsed; else what is wrong and at which offset
};

// "Hi {{ name }}!" -> "Hi ", var "name", "!". `{{` without a closing `}}`, or a name that is
// not [A-Za-z_][A-Za-z0-9_]* ('.'-separated), is an error.
template_parse parse_template(std::string_view text);

// The distinct variable names of a parsed template, in first-use order.
std::vector<std::string> template_variables(const std::vector<template_piece>& pieces);

}  // namespace parallm::config
