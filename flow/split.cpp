#include "flow/split.hpp"

namespace parallm::flow {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool is_continuation(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

std::string_view trim_left(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  return s;
}

std::string_view trim(std::string_view s) {
  s = trim_left(s);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Joins units greedily into chunks of at most max_chars (0 = every unit is its own chunk).
class packer {
 public:
  packer(std::string_view joiner, std::size_t max_chars, std::vector<std::string>& out)
      : joiner_(joiner), max_chars_(max_chars), out_(out) {}
  packer(const packer&) = delete;
  packer& operator=(const packer&) = delete;
  ~packer() { flush(); }

  void add(std::string_view unit) {
    if (!current_.empty() && current_.size() + joiner_.size() + unit.size() <= max_chars_) {
      current_ += joiner_;
      current_ += unit;
      return;
    }
    flush();
    current_.assign(unit);
  }

  void flush() {
    if (!current_.empty()) out_.push_back(std::move(current_));
    current_.clear();
  }

 private:
  std::string_view joiner_;
  std::size_t max_chars_;
  std::vector<std::string>& out_;
  std::string current_;
};

std::vector<std::string_view> paragraphs(std::string_view text) {
  std::vector<std::string_view> found;
  std::size_t start = std::string_view::npos;
  std::size_t end = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto newline = text.find('\n', pos);
    if (newline == std::string_view::npos) newline = text.size();
    if (trim(text.substr(pos, newline - pos)).empty()) {
      if (start != std::string_view::npos) found.push_back(trim(text.substr(start, end - start)));
      start = std::string_view::npos;
    } else {
      if (start == std::string_view::npos) start = pos;
      end = newline;
    }
    pos = newline + 1;
  }
  if (start != std::string_view::npos) found.push_back(trim(text.substr(start, end - start)));
  return found;
}

std::vector<std::string_view> sentences(std::string_view text) {
  std::vector<std::string_view> found;
  std::size_t start = 0;
  for (std::size_t i = 0; i + 1 < text.size(); ++i) {
    const char c = text[i];
    if ((c == '.' || c == '!' || c == '?') && is_space(text[i + 1])) {
      if (const auto s = trim(text.substr(start, i + 1 - start)); !s.empty()) found.push_back(s);
      start = i + 1;
    }
  }
  if (const auto s = trim(text.substr(start)); !s.empty()) {
    found.push_back(s);
  }
  return found;
}

// Where to end a piece of at most max_chars at the start of `text` (longer than max_chars):
// after the last whitespace that fits, else at the last character boundary that fits.
std::size_t cut_point(std::string_view text, std::size_t max_chars) {
  for (std::size_t i = max_chars; i > 0; --i) {
    if (is_space(text[i])) return i;
  }
  std::size_t cut = max_chars;
  while (cut > 0 && is_continuation(text[cut])) --cut;
  if (cut > 0) return cut;
  cut = 1;
  while (cut < text.size() && is_continuation(text[cut])) ++cut;
  return cut;
}

template <class Sink>
void char_pieces(std::string_view text, std::size_t max_chars, Sink&& sink) {
  text = trim(text);
  while (!text.empty()) {
    if (max_chars == 0 || text.size() <= max_chars) {
      sink(text);
      return;
    }
    const auto cut = cut_point(text, max_chars);
    if (const auto piece = trim(text.substr(0, cut)); !piece.empty()) sink(piece);
    text = trim_left(text.substr(cut));
  }
}

void pack_sentences(std::string_view text, std::size_t max_chars, std::vector<std::string>& out) {
  packer chunks(" ", max_chars, out);
  for (const auto sentence : sentences(text)) {
    char_pieces(sentence, max_chars, [&](std::string_view piece) { chunks.add(piece); });
  }
}

}  // namespace

std::vector<std::string> split_text(std::string_view text, config::split_by by,
                                    std::size_t max_chars) {
  std::vector<std::string> chunks;
  switch (by) {
    case config::split_by::paragraph: {
      packer packed("\n\n", max_chars, chunks);
      for (const auto paragraph : paragraphs(text)) {
        if (max_chars > 0 && paragraph.size() > max_chars) {
          packed.flush();
          pack_sentences(paragraph, max_chars, chunks);
        } else {
          packed.add(paragraph);
        }
      }
      break;
    }
    case config::split_by::sentence:
      pack_sentences(text, max_chars, chunks);
      break;
    case config::split_by::chars:
      char_pieces(text, max_chars, [&](std::string_view piece) { chunks.emplace_back(piece); });
      break;
  }
  return chunks;
}

}  // namespace parallm::flow
