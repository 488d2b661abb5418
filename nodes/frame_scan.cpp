#include "nodes/frame_scan.hpp"

#include <algorithm>
#include <cstddef>

#include <msgpack.hpp>

namespace parallm::nodes {
namespace {

// No body has more fields than this.
constexpr std::uint32_t max_struct_fields = 16;

class scan_visitor : public msgpack::null_visitor {
 public:
  explicit scan_visitor(const wire_limits& limits) : limits_(limits) {}

  bool start_array(std::uint32_t n) { return open(n); }
  bool end_array() { return close(); }
  bool start_map(std::uint32_t n) { return open(2ull * n); }
  bool end_map() { return close(); }
  bool visit_str(const char*, std::uint32_t size) { return blob(size); }
  bool visit_bin(const char*, std::uint32_t size) { return blob(size); }
  bool visit_ext(const char*, std::uint32_t size) { return blob(size); }

  bool over_limit() const { return over_limit_; }

 private:
  bool open(std::uint64_t n) {
    ++depth_;
    values_ += n;
    return within(depth_ <= max_nesting && n <= max_array_size(limits_) &&
                  values_ <= limits_.max_values);
  }
  bool close() {
    --depth_;
    return true;
  }
  bool blob(std::uint32_t size) { return within(size <= limits_.max_string_bytes); }
  bool within(bool ok) {
    over_limit_ = over_limit_ || !ok;
    return ok;
  }

  const wire_limits& limits_;
  std::uint32_t depth_ = 0;
  std::uint64_t values_ = 1;
  bool over_limit_ = false;
};

}  // namespace

std::uint32_t max_array_size(const wire_limits& limits) {
  return std::max(limits.max_items, max_struct_fields);
}

std::optional<decode_error> scan_frame(std::string_view frame, const wire_limits& limits) {
  if (frame.size() > limits.max_frame_bytes) return decode_error::too_large;
  scan_visitor visitor(limits);
  std::size_t offset = 0;
  const bool parsed = msgpack::parse(frame.data(), frame.size(), offset, visitor);
  if (visitor.over_limit()) return decode_error::too_large;
  if (!parsed || offset != frame.size()) return decode_error::malformed;
  return std::nullopt;
}

}  // namespace parallm::nodes
