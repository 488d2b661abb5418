#include "config/diagnostic.hpp"

namespace parallm::config {

std::string diagnostic::to_string() const {
  std::string text = file;
  if (line > 0) {
    text += ':' + std::to_string(line);
    if (column > 0) text += ':' + std::to_string(column);
  }
  text += ": ";
  if (!field.empty()) text += field + ": ";
  text += message;
  return text;
}

}  // namespace parallm::config
