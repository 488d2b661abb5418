#pragma once
// The client's items that went to the coordinator and have no line back yet, kept by seq so
// that a restarted coordinator can be sent them again, in input order.
//
// Seqs are handed out in input order and sent in that order, so the set is a window over
// the seqs with holes where lines came back: a deque of slots does every operation in
// constant time, where a std::map spent a fifth of the client's time on a fast batch.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "nodes/wire_messages.hpp"

namespace parallm::nodes {

class unacked_lines {
 public:
  // Keeps a sent line. Its seq must be above every seq kept since the last take_all():
  // std::logic_error otherwise (a bug in the caller).
  void add(input_line line);
  // Forgets a line whose output came back. False when it was not kept (a duplicate, or a
  // line of an earlier session that is being sent again).
  bool remove(std::uint64_t seq);
  std::size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  // Every kept line in seq order; the set is empty after.
  std::vector<input_line> take_all();

 private:
  std::deque<std::optional<input_line>> slots_;  // slots_[i] holds seq first_seq_ + i
  std::uint64_t first_seq_ = 0;
  std::size_t count_ = 0;
};

}  // namespace parallm::nodes
