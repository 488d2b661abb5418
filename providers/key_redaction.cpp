#include "providers/key_redaction.hpp"

#include <utility>

namespace parallm::providers {

bool redact_key(std::string& text, std::string_view key) {
  if (key.size() < min_redacted_key_bytes) return false;
  auto at = text.find(key);
  if (at == std::string::npos) return false;
  // The common case, no key, costs one search; a text with the key is rebuilt once.
  std::string out;
  out.reserve(text.size());
  std::size_t from = 0;
  for (; at != std::string::npos; at = text.find(key, from)) {
    out.append(text, from, at - from);
    out += redacted_key;
    from = at + key.size();
  }
  out.append(text, from);
  text = std::move(out);
  return true;
}

bool redact_key(call_outcome& outcome, std::string_view key) {
  bool found = redact_key(outcome.text, key);
  for (auto& text : outcome.more_texts) found |= redact_key(text, key);
  found |= redact_key(outcome.error, key);
  found |= redact_key(outcome.finish_reason, key);
  return found;
}

}  // namespace parallm::providers
