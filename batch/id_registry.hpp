#pragma once
// The set of item ids seen so far, with the input line each was first seen on, for duplicate
// detection and --resume, sized for batches of millions of items.
//
// An id is its JSON text (batch/input_line.hpp): 7 for a number, "7" with its quotes for a
// string, so a number and a string that look alike stay two ids.
//
// Memory trade-off: ids that are canonical non-negative integers, as numbers (0, 17) or as
// strings ("0", "17"), no sign, no leading zero, below 2^63, are kept exactly as runs
// [lo, hi] whose lines follow the ids one to one, so a batch numbered 0..N on consecutive
// lines costs one map node (~64 bytes) whatever N is; so do ids whose lines are not known,
// and an output written out of order once its gaps are filled. An integer id that neither
// joins nor extends a run opens one of its own only while there are fewer than
// 4096 + size() / 256 runs; past that it is hashed like any other id, so ids in an order of
// their own (shuffled, or not in line order) cost what other ids do, not a node each.
// Every other id is kept as a 64-bit hash plus a 32-bit line in an open-addressing table:
// 12 bytes per slot at a load of 0.35..0.7, i.e. 17-34 bytes per id, against ~60-100 bytes
// per id for an std::unordered_map<std::string, line>. Whatever the ids, nodes and slots
// stay below ~34.5 bytes per id beyond the 256 KB of the first 4096 nodes. The price is that
// two different ids may share a hash, with a chance of about n^2 / 2^65 for n ids (1e7 ids:
// ~3e-6); the later one would be taken for a duplicate.

#include <cstdint>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

namespace parallm::batch {

class id_registry {
 public:
  // Adds the id, seen on `line` (1-based; 0 = not known). False when it was already there;
  // it then keeps the line it was first added with.
  bool insert(std::string_view id, std::uint64_t line = 0);
  bool contains(std::string_view id) const;
  // The line the id was first added with; 0 when it is not there or the line is not known
  // (0 at the time, or past 2^32 - 1 for an id kept as a hash).
  std::uint64_t first_line(std::string_view id) const;
  std::uint64_t size() const { return numbers_.count + strings_.count + hash_count_; }
  // How many [lo, hi] runs hold the integer ids: their memory, 1 for a batch numbered 0..N.
  std::size_t integer_runs() const { return numbers_.runs.size() + strings_.runs.size(); }
  // How many 12-byte slots the hash table has: the memory of the ids kept as hashes.
  std::size_t hash_slots() const { return slots_.size(); }

 private:
  // Integer ids as runs; ids lo..hi were seen on lines first_line..first_line + hi - lo, or
  // on lines not known when first_line is 0.
  struct runs {
    struct run {
      std::uint64_t hi = 0;
      std::uint64_t first_line = 0;
    };
    std::optional<std::uint64_t> find(std::uint64_t value) const;
    // Adds value, which is not there yet, unless that needs a run of its own and may_open is
    // false; false then.
    bool add(std::uint64_t value, std::uint64_t line, bool may_open);
    std::map<std::uint64_t, run> runs;  // lo -> run, disjoint
    std::uint64_t count = 0;
  };

  bool insert_hash(std::uint64_t hash, std::uint64_t line);
  std::optional<std::uint64_t> find_hash(std::uint64_t hash) const;
  std::optional<std::uint64_t> find(std::string_view id) const;
  const runs& runs_for(bool quoted) const { return quoted ? strings_ : numbers_; }
  runs& runs_for(bool quoted) { return quoted ? strings_ : numbers_; }
  bool may_open_run() const;
  void grow();

  runs numbers_;
  runs strings_;
  std::vector<std::uint64_t> slots_;  // 0 = empty; size is 0 or a power of two
  std::vector<std::uint32_t> lines_;  // the line of each slot's id, 0 = not known
  std::uint64_t hash_count_ = 0;
  // Integer ids kept as hashes; while there are none, an integer id is found in its runs or
  // not at all, without hashing it.
  std::uint64_t hashed_integers_ = 0;
};

}  // namespace parallm::batch
