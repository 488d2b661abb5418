#include "flow/json_text.hpp"

#include <charconv>
#include <cstdint>
#include <cstring>

namespace parallm::flow {
namespace {

constexpr std::string_view replacement = "\xEF\xBF\xBD";

bool is_plain(unsigned char c) {
  return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

// Whether any of the eight bytes of w needs more than a copy: below 0x20, a quote, a
// backslash, or not ASCII. Bit tricks on a whole word, since output lines are mostly plain
// text and this runs over every byte of every one of them.
bool word_needs_care(std::uint64_t w) {
  constexpr std::uint64_t ones = 0x0101010101010101ull;
  constexpr std::uint64_t highs = 0x8080808080808080ull;
  const auto has_zero = [](std::uint64_t v) { return (v - ones) & ~v & highs; };
  const std::uint64_t below_space = (w - ones * 0x20) & ~w & highs;
  return ((below_space | has_zero(w ^ (ones * '"')) | has_zero(w ^ (ones * '\\')) | w) & highs) !=
         0;
}

// Where the plain run starting at pos ends: the first byte that needs care, or the end.
std::size_t plain_run_end(std::string_view text, std::size_t pos) {
  while (text.size() - pos >= 8) {
    std::uint64_t w;
    std::memcpy(&w, text.data() + pos, 8);
    if (word_needs_care(w)) break;
    pos += 8;
  }
  while (pos < text.size() && is_plain(static_cast<unsigned char>(text[pos]))) ++pos;
  return pos;
}

bool in_range(unsigned char c, unsigned char lo, unsigned char hi) {
  return c >= lo && c <= hi;
}

// Length of the well-formed UTF-8 sequence starting at text[pos], or 0 if it is not one.
std::size_t utf8_length(std::string_view text, std::size_t pos) {
  const auto at = [&](std::size_t i) {
    return pos + i < text.size() ? static_cast<unsigned char>(text[pos + i]) : 0;
  };
  const unsigned char lead = at(0);
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  std::size_t length = 0;
  if (in_range(lead, 0xC2, 0xDF)) {
    length = 2;
  } else if (in_range(lead, 0xE0, 0xEF)) {
    length = 3;
    if (lead == 0xE0) lo = 0xA0;
    if (lead == 0xED) hi = 0x9F;
  } else if (in_range(lead, 0xF0, 0xF4)) {
    length = 4;
    if (lead == 0xF0) lo = 0x90;
    if (lead == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (!in_range(at(1), lo, hi)) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (!in_range(at(i), 0x80, 0xBF)) return 0;
  }
  return length;
}

void append_escaped_control(std::string& out, unsigned char c) {
  switch (c) {
    case '"':
      out += "\\\"";
      return;
    case '\\':
      out += "\\\\";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    case '\b':
      out += "\\b";
      return;
    case '\f':
      out += "\\f";
      return;
    default: {
      static constexpr char hex[] = "0123456789abcdef";
      const char escaped[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
      out.append(escaped, sizeof escaped);
    }
  }
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t run = plain_run_end(text, pos);
    out.append(text.data() + pos, run - pos);
    pos = run;
    if (pos == text.size()) break;
    const auto c = static_cast<unsigned char>(text[pos]);
    if (c < 0x80) {
      append_escaped_control(out, c);
      ++pos;
    } else if (const auto length = utf8_length(text, pos); length > 0) {
      out.append(text.data() + pos, length);
      pos += length;
    } else {
      out += replacement;
      ++pos;
    }
  }
  out += '"';
}

void append_json(std::string& out, const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::string:
      append_json_string(out, value.get_ref<const std::string&>());
      return;
    case nlohmann::json::value_t::array: {
      out += '[';
      bool first = true;
      for (const auto& element : value) {
        if (!first) out += ',';
        first = false;
        append_json(out, element);
      }
      out += ']';
      return;
    }
    case nlohmann::json::value_t::object: {
      out += '{';
      bool first = true;
      for (auto it = value.begin(); it != value.end(); ++it) {
        if (!first) out += ',';
        first = false;
        append_json_string(out, it.key());
        out += ':';
        append_json(out, it.value());
      }
      out += '}';
      return;
    }
    default:
      out += value.dump();
  }
}

void append_json_number(std::string& out, std::uint64_t value) {
  char buffer[24];
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
  out.append(buffer, end);
}

std::string to_json_text(const nlohmann::json& value) {
  std::string out;
  append_json(out, value);
  return out;
}

}  // namespace parallm::flow
