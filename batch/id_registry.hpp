#pragma once
// The set of item ids seen so far, for duplicate detection and --resume, sized for batches
// of millions of items.
//
// Memory trade-off: ids that are canonical non-negative integers ("0", "17"; no sign, no
// leading zero, below 2^63) are kept exactly as runs [lo, hi], so a batch numbered 0..N costs
// one map node whatever N is. Every other id is kept as a 64-bit hash in an open-addressing
// table: 8 bytes per slot at a load of 0.35..0.7, i.e. 12-23 bytes per id, against ~60-100
// bytes per id for an std::unordered_set<std::string> (node, bucket, string and its heap
// block). The price is that two different string ids may share a hash, with a chance of
// about n^2 / 2^65 for n ids (1e7 ids: ~3e-6); the later one would be taken for a duplicate.

#include <cstdint>
#include <map>
#include <string_view>
#include <vector>

namespace parallm::batch {

class id_registry {
 public:
  // Adds the id; false when it was already there.
  bool insert(std::string_view id);
  bool contains(std::string_view id) const;
  std::uint64_t size() const { return integer_count_ + hash_count_; }
  // How many [lo, hi] runs hold the integer ids: their memory, 1 for a batch numbered 0..N.
  std::size_t integer_runs() const { return runs_.size(); }

 private:
  bool insert_integer(std::uint64_t value);
  bool contains_integer(std::uint64_t value) const;
  bool insert_hash(std::uint64_t hash);
  bool contains_hash(std::uint64_t hash) const;
  void grow();

  std::map<std::uint64_t, std::uint64_t> runs_;  // lo -> hi, disjoint, never adjacent
  std::uint64_t integer_count_ = 0;
  std::vector<std::uint64_t> slots_;  // 0 = empty; size is 0 or a power of two
  std::uint64_t hash_count_ = 0;
};

}  // namespace parallm::batch
