#include "batch/id_registry.hpp"

#include <iterator>
#include <optional>

namespace parallm::batch {
namespace {

constexpr std::uint64_t integer_limit = std::uint64_t{1} << 63;
constexpr std::size_t initial_slots = 1024;

// The id as an integer when it is written the one way an integer prints: "0" or [1-9][0-9]*.
std::optional<std::uint64_t> canonical_integer(std::string_view id) {
  if (id.empty() || id.size() > 19) return std::nullopt;
  if (id.size() > 1 && id.front() == '0') return std::nullopt;
  std::uint64_t value = 0;
  for (char c : id) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (value >= integer_limit) return std::nullopt;
  return value;
}

// FNV-1a spreads bytes poorly into the low bits a power-of-two table indexes by, so the
// murmur3 finalizer mixes them. 0 marks an empty slot and is folded onto 1.
std::uint64_t hash_id(std::string_view id) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : id) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h == 0 ? 1 : h;
}

}  // namespace

bool id_registry::insert(std::string_view id) {
  if (const auto value = canonical_integer(id)) return insert_integer(*value);
  return insert_hash(hash_id(id));
}

bool id_registry::contains(std::string_view id) const {
  if (const auto value = canonical_integer(id)) return contains_integer(*value);
  return contains_hash(hash_id(id));
}

bool id_registry::contains_integer(std::uint64_t value) const {
  auto after = runs_.upper_bound(value);
  if (after == runs_.begin()) return false;
  return std::prev(after)->second >= value;
}

bool id_registry::insert_integer(std::uint64_t value) {
  auto after = runs_.upper_bound(value);
  const bool has_before = after != runs_.begin();
  const auto before = has_before ? std::prev(after) : runs_.end();
  if (has_before && before->second >= value) return false;
  const bool joins_before = has_before && before->second + 1 == value;
  const bool joins_after = after != runs_.end() && after->first == value + 1;
  if (joins_before && joins_after) {
    before->second = after->second;
    runs_.erase(after);
  } else if (joins_before) {
    before->second = value;
  } else if (joins_after) {
    const auto hi = after->second;
    runs_.emplace_hint(runs_.erase(after), value, hi);
  } else {
    runs_.emplace_hint(after, value, value);
  }
  ++integer_count_;
  return true;
}

bool id_registry::contains_hash(std::uint64_t hash) const {
  if (slots_.empty()) return false;
  const auto mask = slots_.size() - 1;
  for (auto i = hash & mask;; i = (i + 1) & mask) {
    if (slots_[i] == hash) return true;
    if (slots_[i] == 0) return false;
  }
}

bool id_registry::insert_hash(std::uint64_t hash) {
  // Keeps the load at or below 0.7 so linear probes stay short.
  if ((hash_count_ + 1) * 10 > slots_.size() * 7) grow();
  const auto mask = slots_.size() - 1;
  for (auto i = hash & mask;; i = (i + 1) & mask) {
    if (slots_[i] == hash) return false;
    if (slots_[i] == 0) {
      slots_[i] = hash;
      ++hash_count_;
      return true;
    }
  }
}

void id_registry::grow() {
  std::vector<std::uint64_t> old(slots_.empty() ? initial_slots : slots_.size() * 2, 0);
  old.swap(slots_);
  const auto mask = slots_.size() - 1;
  for (auto hash : old) {
    if (hash == 0) continue;
    auto i = hash & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = hash;
  }
}

}  // namespace parallm::batch
