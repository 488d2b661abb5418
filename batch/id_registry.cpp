#include "batch/id_registry.hpp"

#include <iterator>
#include <limits>

namespace parallm::batch {
namespace {

constexpr std::uint64_t integer_limit = std::uint64_t{1} << 63;
constexpr std::size_t initial_slots = 1024;
// Runs any batch may open: as many as the gaps in an output written out of order by a run
// with the default window (4096 items admitted at a time), which close as the items before
// them come in. They cost at most 256 KB.
constexpr std::size_t free_runs = 4096;
// Beyond free_runs, one run per this many ids: as a run holds at least one id, which then
// takes no slot, a node (~64 bytes) adds at most ~0.12 bytes per id to the 34 a slot may cost.
constexpr std::uint64_t ids_per_run = 256;

// The text as an integer when it is written the one way an integer prints: "0" or [1-9][0-9]*.
std::optional<std::uint64_t> canonical_integer(std::string_view text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  if (text.size() > 1 && text.front() == '0') return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (value >= integer_limit) return std::nullopt;
  return value;
}

// A string id whose text is a canonical integer: "17" with its quotes.
std::optional<std::uint64_t> quoted_integer(std::string_view id) {
  if (id.size() < 3 || id.front() != '"' || id.back() != '"') return std::nullopt;
  return canonical_integer(id.substr(1, id.size() - 2));
}

struct integer_id {
  bool quoted = false;  // "17" rather than 17
  std::uint64_t value = 0;
};

std::optional<integer_id> as_integer(std::string_view id) {
  if (const auto value = canonical_integer(id)) return integer_id{false, *value};
  if (const auto value = quoted_integer(id)) return integer_id{true, *value};
  return std::nullopt;
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

// Whether `line` is where a run that saw `first_line` for its id `lo` would see id `value`.
bool follows(std::uint64_t lo, std::uint64_t first_line, std::uint64_t value, std::uint64_t line) {
  if (first_line == 0 || line == 0) return first_line == line;
  return value >= lo && first_line + (value - lo) == line;
}

}  // namespace

bool id_registry::insert(std::string_view id, std::uint64_t line) {
  const auto integer = as_integer(id);
  if (!integer) return insert_hash(hash_id(id), line);
  auto& ints = runs_for(integer->quoted);
  if (ints.find(integer->value)) return false;
  // Hashed only when the table may hold it or must take it: a batch numbered 0..N never is.
  if (hashed_integers_ > 0 && find_hash(hash_id(id))) return false;
  if (ints.add(integer->value, line, may_open_run())) return true;
  if (!insert_hash(hash_id(id), line)) return false;
  ++hashed_integers_;
  return true;
}

bool id_registry::may_open_run() const {
  return integer_runs() < free_runs + size() / ids_per_run;
}

std::optional<std::uint64_t> id_registry::find(std::string_view id) const {
  if (const auto integer = as_integer(id)) {
    if (const auto line = runs_for(integer->quoted).find(integer->value)) return line;
    if (hashed_integers_ == 0) return std::nullopt;
  }
  return find_hash(hash_id(id));
}

bool id_registry::contains(std::string_view id) const {
  return find(id).has_value();
}

std::uint64_t id_registry::first_line(std::string_view id) const {
  return find(id).value_or(0);
}

std::optional<std::uint64_t> id_registry::runs::find(std::uint64_t value) const {
  auto after = runs.upper_bound(value);
  if (after == runs.begin()) return std::nullopt;
  const auto& [lo, r] = *std::prev(after);
  if (r.hi < value) return std::nullopt;
  return r.first_line == 0 ? 0 : r.first_line + (value - lo);
}

bool id_registry::runs::add(std::uint64_t value, std::uint64_t line, bool may_open) {
  auto after = runs.upper_bound(value);
  const bool has_before = after != runs.begin();
  const auto before = has_before ? std::prev(after) : runs.end();
  const bool joins_before = has_before && before->second.hi + 1 == value &&
                            follows(before->first, before->second.first_line, value, line);
  const bool joins_after = after != runs.end() && after->first == value + 1 &&
                           follows(value, line, after->first, after->second.first_line);
  if (joins_before && joins_after) {
    before->second.hi = after->second.hi;
    runs.erase(after);
  } else if (joins_before) {
    before->second.hi = value;
  } else if (joins_after) {
    const auto hi = after->second.hi;
    runs.emplace_hint(runs.erase(after), value, run{hi, line});
  } else if (may_open) {
    runs.emplace_hint(after, value, run{value, line});
  } else {
    return false;
  }
  ++count;
  return true;
}

std::optional<std::uint64_t> id_registry::find_hash(std::uint64_t hash) const {
  if (slots_.empty()) return std::nullopt;
  const auto mask = slots_.size() - 1;
  for (auto i = hash & mask;; i = (i + 1) & mask) {
    if (slots_[i] == hash) return lines_[i];
    if (slots_[i] == 0) return std::nullopt;
  }
}

bool id_registry::insert_hash(std::uint64_t hash, std::uint64_t line) {
  // Keeps the load at or below 0.7 so linear probes stay short.
  if ((hash_count_ + 1) * 10 > slots_.size() * 7) grow();
  const auto mask = slots_.size() - 1;
  for (auto i = hash & mask;; i = (i + 1) & mask) {
    if (slots_[i] == hash) return false;
    if (slots_[i] == 0) {
      slots_[i] = hash;
      lines_[i] =
          line <= std::numeric_limits<std::uint32_t>::max() ? static_cast<std::uint32_t>(line) : 0;
      ++hash_count_;
      return true;
    }
  }
}

void id_registry::grow() {
  const auto size = slots_.empty() ? initial_slots : slots_.size() * 2;
  std::vector<std::uint64_t> old(size, 0);
  std::vector<std::uint32_t> old_lines(size, 0);
  old.swap(slots_);
  old_lines.swap(lines_);
  const auto mask = slots_.size() - 1;
  for (std::size_t k = 0; k < old.size(); ++k) {
    const auto hash = old[k];
    if (hash == 0) continue;
    auto i = hash & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = hash;
    lines_[i] = old_lines[k];
  }
}

}  // namespace parallm::batch
