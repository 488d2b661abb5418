#include "batch/flat_json_object.hpp"

#include <cstdint>
#include <string>

namespace parallm::batch {
namespace {

// Digits of an integer read here: 18 always fit an int64, so no overflow check is needed.
constexpr std::size_t max_digits = 18;

class cursor {
 public:
  explicit cursor(std::string_view text) : text_(text) {}

  bool at_end() const { return pos_ == text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[pos_]; }
  void advance() { ++pos_; }

  // JSON's whitespace only (RFC 8259): what nlohmann skips between tokens.
  void skip_whitespace() {
    while (!at_end()) {
      const char c = text_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
      ++pos_;
    }
  }

  bool take(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }

  bool take_word(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  // A string's characters up to its closing quote, when they are printable ASCII other than
  // the backslash; the opening quote is already taken.
  std::optional<std::string_view> plain_string() {
    const auto start = pos_;
    while (!at_end()) {
      const auto c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        const auto body = text_.substr(start, pos_ - start);
        ++pos_;
        return body;
      }
      if (c < 0x20 || c >= 0x80 || c == '\\') return std::nullopt;
      ++pos_;
    }
    return std::nullopt;
  }

  // An integer as nlohmann reads it: unsigned when it has no sign, signed when negative.
  std::optional<nlohmann::json> integer() {
    const bool negative = take('-');
    const auto start = pos_;
    std::uint64_t value = 0;
    while (!at_end() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      value = value * 10 + static_cast<std::uint64_t>(text_[pos_] - '0');
      ++pos_;
    }
    const auto digits = pos_ - start;
    if (digits == 0 || digits > max_digits) return std::nullopt;
    if (digits > 1 && text_[start] == '0') return std::nullopt;  // a leading zero: an error
    const char next = peek();
    if (next == '.' || next == 'e' || next == 'E') return std::nullopt;  // a fraction
    if (negative) return nlohmann::json(-static_cast<std::int64_t>(value));
    return nlohmann::json(value);
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

std::optional<nlohmann::json> value(cursor& in) {
  switch (in.peek()) {
    case '"': {
      in.advance();
      auto text = in.plain_string();
      if (!text) return std::nullopt;
      return nlohmann::json(std::string(*text));
    }
    case 't':
      if (in.take_word("true")) return nlohmann::json(true);
      return std::nullopt;
    case 'f':
      if (in.take_word("false")) return nlohmann::json(false);
      return std::nullopt;
    case 'n':
      if (in.take_word("null")) return nlohmann::json(nullptr);
      return std::nullopt;
    default:
      return in.integer();
  }
}

}  // namespace

std::optional<nlohmann::json> parse_flat_json_object(std::string_view text) {
  cursor in(text);
  in.skip_whitespace();
  if (!in.take('{')) return std::nullopt;
  auto object = nlohmann::json::object();
  auto& members = object.get_ref<nlohmann::json::object_t&>();
  in.skip_whitespace();
  if (!in.take('}')) {
    while (true) {
      if (!in.take('"')) return std::nullopt;
      const auto key = in.plain_string();
      if (!key) return std::nullopt;
      in.skip_whitespace();
      if (!in.take(':')) return std::nullopt;
      in.skip_whitespace();
      auto v = value(in);
      if (!v) return std::nullopt;
      // nlohmann keeps the last of duplicate keys; rare enough to leave to it.
      if (!members.emplace(std::string(*key), std::move(*v)).second) return std::nullopt;
      in.skip_whitespace();
      if (in.take('}')) break;
      if (!in.take(',')) return std::nullopt;
      in.skip_whitespace();
    }
  }
  in.skip_whitespace();
  if (!in.at_end()) return std::nullopt;
  return object;
}

}  // namespace parallm::batch
