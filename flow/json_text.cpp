#include "flow/json_text.hpp"

#include <charconv>

namespace parallm::flow {
namespace {

constexpr std::string_view replacement = "\xEF\xBF\xBD";

bool is_plain(unsigned char c) {
  return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
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
    std::size_t run = pos;
    while (run < text.size() && is_plain(static_cast<unsigned char>(text[run]))) ++run;
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
