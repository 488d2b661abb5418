// Writes the wire_decode target's seeds: one real frame of every command made with
// nodes::encode (tests/nodes/wire_frames.hpp's samples, and each command's defaults), tasks of
// the batch whose profiles the fuzz entry holds, and a few frames each decode error refuses.
// Run after a change to the protocol: build/tests/fuzz/make_wire_seeds fuzz/corpus/wire_decode

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <variant>

#include "../nodes/wire_frames.hpp"

using namespace parallm;
using namespace parallm::nodes;

namespace {

void write_seed(const std::filesystem::path& dir, const std::string& name, const std::string& b) {
  std::ofstream(dir / name, std::ios::binary) << b;
}

// The defaults of the variant's alternative I, and of every one after it.
template <std::size_t I = 0>
void write_defaults(const std::filesystem::path& dir) {
  if constexpr (I < std::variant_size_v<message>) {
    const message m{std::in_place_index<I>};
    write_seed(dir, "default_" + std::string(to_string(command_of(m))), encode(m));
    write_defaults<I + 1>(dir);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_wire_seeds DIR\n");
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  for (const auto& m : test::samples()) {
    write_seed(dir, "sample_" + std::string(to_string(command_of(m))), encode(m));
  }
  write_defaults(dir);
  // fuzz/wire_decode_entry.cpp holds three profiles of batch 1: these tasks convert.
  write_seed(dir, "tasks_of_held_batch",
             encode(task_frame{{wire_task{{9, 1, 1}, 1, 0, 2, 0, "Say {{x}}", "", 2},
                                wire_task{{9, 1, 2}, 3, 1, 0, 1, "p", "s", 1}}}));
  const auto sample = encode(test::samples().at(static_cast<std::size_t>(command::results)));
  write_seed(dir, "truncated_results", sample.substr(0, sample.size() / 2));
  write_seed(dir, "unknown_version", test::frame(2, 3, [](auto& pk) {
               pk.pack_array(1);
               pk.pack_uint64(7);
             }));
  write_seed(dir, "unknown_command", test::frame(1, 99, [](auto& pk) { pk.pack_array(0); }));
  write_seed(dir, "wrong_shape_hello", test::frame(1, 0, [](auto& pk) {
               pk.pack_array(3);
               pk.pack_uint64(1);
               pk.pack_uint64(2);
               pk.pack_uint64(3);
             }));
  write_seed(dir, "not_msgpack", "hello, coordinator");
  return 0;
}
