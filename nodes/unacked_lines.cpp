#include "nodes/unacked_lines.hpp"

#include <stdexcept>
#include <string>
#include <utility>

namespace parallm::nodes {

void unacked_lines::add(input_line line) {
  if (slots_.empty()) {
    first_seq_ = line.seq;
  } else if (line.seq < first_seq_ + slots_.size()) {
    throw std::logic_error("unacked_lines: seq " + std::to_string(line.seq) + " kept out of order");
  }
  while (first_seq_ + slots_.size() < line.seq) slots_.emplace_back();
  slots_.emplace_back(std::move(line));
  ++count_;
}

bool unacked_lines::remove(std::uint64_t seq) {
  if (seq < first_seq_ || seq - first_seq_ >= slots_.size()) return false;
  auto& slot = slots_[seq - first_seq_];
  if (!slot) return false;
  slot.reset();
  --count_;
  while (!slots_.empty() && !slots_.front()) {
    slots_.pop_front();
    ++first_seq_;
  }
  return true;
}

std::vector<input_line> unacked_lines::take_all() {
  std::vector<input_line> out;
  out.reserve(count_);
  for (auto& slot : slots_) {
    if (slot) out.push_back(std::move(*slot));
  }
  slots_.clear();
  count_ = 0;
  return out;
}

}  // namespace parallm::nodes
