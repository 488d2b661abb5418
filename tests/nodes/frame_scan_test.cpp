#define BOOST_TEST_MODULE frame_scan
#include <boost/test/unit_test.hpp>

#include <random>
#include <string>
#include <vector>

#include <msgpack.hpp>

#include "nodes/frame_scan.hpp"
#include "wire_frames.hpp"

using namespace parallm::nodes;
using namespace parallm::nodes::test;

namespace {

// The scan as msgpack's own parser sees the frame: what scan_frame must agree with, byte for
// byte, only faster.
class reference_visitor : public msgpack::null_visitor {
 public:
  explicit reference_visitor(const wire_limits& limits) : limits_(limits) {}
  bool start_array(std::uint32_t n) { return open(n); }
  bool end_array() { return close(); }
  bool start_map(std::uint32_t n) { return open(2ull * n); }
  bool end_map() { return close(); }
  bool visit_str(const char*, std::uint32_t size) { return blob(size); }
  bool visit_bin(const char*, std::uint32_t size) { return blob(size); }
  bool visit_ext(const char*, std::uint32_t size) { return blob(size); }
  bool over_limit = false;

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
    over_limit = over_limit || !ok;
    return ok;
  }
  const wire_limits& limits_;
  std::uint32_t depth_ = 0;
  std::uint64_t values_ = 1;
};

std::optional<decode_error> reference_scan(std::string_view frame, const wire_limits& limits) {
  if (frame.size() > limits.max_frame_bytes) return decode_error::too_large;
  reference_visitor visitor(limits);
  std::size_t offset = 0;
  const bool parsed = msgpack::parse(frame.data(), frame.size(), offset, visitor);
  if (visitor.over_limit) return decode_error::too_large;
  if (!parsed || offset != frame.size()) return decode_error::malformed;
  return std::nullopt;
}

std::string describe(const std::optional<decode_error>& e) {
  return e ? std::string(to_string(*e)) : "clean";
}

void check_agrees(const std::string& frame, const wire_limits& limits) {
  const auto fast = scan_frame(frame, limits);
  const auto reference = reference_scan(frame, limits);
  if (fast != reference) {
    BOOST_ERROR("scan_frame says " << describe(fast) << ", msgpack's parser " << describe(reference)
                                   << ", for " << frame.size() << " bytes");
  }
}

std::vector<std::string> sample_frames() {
  std::vector<std::string> frames;
  for (const auto& m : samples()) frames.push_back(encode(m));
  return frames;
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_sample_frame_scans_clean) {
  for (const auto& frame : sample_frames()) {
    BOOST_TEST(!scan_frame(frame, {}).has_value());
  }
}

BOOST_AUTO_TEST_CASE(each_kind_of_value_is_read_to_its_end) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> pk(buffer);
  pk.pack_array(15);
  pk.pack_nil();
  pk.pack_true();
  pk.pack_uint8(200);
  pk.pack_uint16(60000);
  pk.pack_uint32(4000000000u);
  pk.pack_uint64(1ull << 60);
  pk.pack_int8(-100);
  pk.pack_int64(-(1ll << 60));
  pk.pack_float(1.5f);
  pk.pack_double(2.5);
  pk.pack_str(300);
  pk.pack_str_body(std::string(300, 'x').data(), 300);
  pk.pack_bin(3);
  pk.pack_bin_body("abc", 3);
  pk.pack_ext(5, 7);
  pk.pack_ext_body("12345", 5);
  pk.pack_map(1);
  pk.pack_uint8(1);
  pk.pack_uint8(2);
  pk.pack_array(0);
  const std::string frame(buffer.data(), buffer.size());
  BOOST_TEST(!scan_frame(frame, {}).has_value());
  check_agrees(frame, {});
  // Every shorter prefix is incomplete, and one byte more is trailing garbage.
  for (std::size_t n = 0; n < frame.size(); ++n) {
    BOOST_TEST((scan_frame(frame.substr(0, n), {}) == decode_error::malformed));
  }
  BOOST_TEST((scan_frame(frame + '\x01', {}) == decode_error::malformed));
}

BOOST_AUTO_TEST_CASE(limits_are_judged_as_headers_are_read) {
  wire_limits small;
  small.max_items = 20;
  small.max_string_bytes = 10;
  small.max_values = 50;
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> pk(buffer);
  pk.pack_array(21);  // over max_items, though nothing follows
  BOOST_TEST(
      (scan_frame(std::string(buffer.data(), buffer.size()), small) == decode_error::too_large));
  buffer.clear();
  pk.pack_str(11);  // a string over the limit, but only once its bytes are all there
  BOOST_TEST(
      (scan_frame(std::string(buffer.data(), buffer.size()), small) == decode_error::malformed));
  pk.pack_str_body("01234567890", 11);
  BOOST_TEST(
      (scan_frame(std::string(buffer.data(), buffer.size()), small) == decode_error::too_large));
  buffer.clear();
  for (int i = 0; i < 8; ++i) pk.pack_array(1);  // nested deeper than any frame
  pk.pack_nil();
  BOOST_TEST(
      (scan_frame(std::string(buffer.data(), buffer.size()), small) == decode_error::too_large));
}

// Real frames cut, flipped and spliced at random, and random bytes, under tight limits and
// default ones: the fast scan and msgpack's parser always reach the same verdict.
BOOST_AUTO_TEST_CASE(agrees_with_msgpacks_parser_on_mangled_frames) {
  std::mt19937_64 random(9);
  const auto frames = sample_frames();
  wire_limits tight;
  tight.max_items = 3;
  tight.max_string_bytes = 8;
  tight.max_values = 40;
  tight.max_frame_bytes = 4096;
  for (int round = 0; round < 20000; ++round) {
    std::string frame = frames[random() % frames.size()];
    switch (random() % 5) {
      case 0:
        frame.resize(random() % (frame.size() + 1));
        break;
      case 1:
        for (int flips = 1 + random() % 3; flips > 0 && !frame.empty(); --flips) {
          frame[random() % frame.size()] = static_cast<char>(random());
        }
        break;
      case 2:
        frame.insert(random() % (frame.size() + 1), 1, static_cast<char>(random()));
        break;
      case 3:
        frame += frames[random() % frames.size()].substr(0, random() % 16);
        break;
      default:
        frame.assign(random() % 64, '\0');
        for (auto& c : frame) c = static_cast<char>(random());
    }
    check_agrees(frame, {});
    check_agrees(frame, tight);
  }
}
