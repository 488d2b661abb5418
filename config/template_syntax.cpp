#include "config/template_syntax.hpp"

#include <algorithm>

namespace parallm::config {
namespace {

bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool is_name_char(char c) {
  return is_name_start(c) || (c >= '0' && c <= '9');
}

bool is_valid_name(std::string_view name) {
  if (name.empty()) return false;
  bool segment_start = true;
  for (char c : name) {
    if (c == '.') {
      if (segment_start) return false;
      segment_start = true;
    } else if (segment_start ? !is_name_start(c) : !is_name_char(c)) {
      return false;
    } else {
      segment_start = false;
    }
  }
  return !segment_start;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

template_parse parse_template(std::string_view text) {
  template_parse result;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto open = text.find("{{", pos);
    if (open == std::string_view::npos) {
      result.pieces.push_back({false, std::string(text.substr(pos))});
      break;
    }
    if (open > pos) result.pieces.push_back({false, std::string(text.substr(pos, open - pos))});
    const auto close = text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      result.error = "'{{' at offset " + std::to_string(open) + " has no closing '}}'";
      return result;
    }
    const auto name = trim(text.substr(open + 2, close - open - 2));
    if (!is_valid_name(name)) {
      result.error = "'{{" + std::string(text.substr(open + 2, close - open - 2)) +
                     "}}' at offset " + std::to_string(open) +
                     " is not a variable name (letters, digits, '_', '.')";
      return result;
    }
    result.pieces.push_back({true, std::string(name)});
    pos = close + 2;
  }
  return result;
}

std::vector<std::string> template_variables(const std::vector<template_piece>& pieces) {
  std::vector<std::string> names;
  for (const auto& piece : pieces) {
    if (piece.is_variable && std::find(names.begin(), names.end(), piece.text) == names.end()) {
      names.push_back(piece.text);
    }
  }
  return names;
}

}  // namespace parallm::config
