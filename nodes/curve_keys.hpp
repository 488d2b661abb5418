#pragma once
// CURVE keys as an operator handles them: 40-character Z85 text, one key per file. A secret key
// file is all a peer needs (its public key is derived from it), so it must be readable by its
// owner alone; a public key file is what an operator copies into an allow-list directory.
// Secret keys never appear in what these functions say back: errors name the file, not its
// contents.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "nodes/value_or_error.hpp"

namespace parallm::nodes {

// Z85 text of a 32-byte CURVE key.
inline constexpr std::size_t z85_key_chars = 40;
inline constexpr std::size_t curve_key_bytes = 32;
// How much of a public key logs and `keygen` show: enough to grep an allow-list directory for.
inline constexpr std::size_t fingerprint_chars = 10;

struct curve_keypair {
  std::string public_key;  // Z85
  std::string secret_key;  // Z85
};

struct key_error {
  std::string message;  // names the file and what is wrong with it, never a key
};

// The key in `text` with surrounding whitespace trimmed, when that is one valid Z85 key.
std::optional<std::string> parse_z85_key(std::string_view text);
// The Z85 text of a binary key (as ZAP hands a peer's public key over).
std::string z85_of(std::string_view key_bytes);
// The first characters of a Z85 public key, for logs.
std::string fingerprint(std::string_view public_key);

// A fresh key pair (libzmq's own generator).
curve_keypair generate_curve_keypair();
// The public key of a Z85 secret key; nullopt when it is not one.
std::optional<std::string> public_key_of(std::string_view secret_key);

// Reads a secret key file: refused when group or others may read or write it (mode & 077), or
// when it does not hold exactly one Z85 key. The public key is derived.
value_or_error<curve_keypair, key_error> read_secret_key_file(const std::filesystem::path& path);
// Reads a public key file: one Z85 key, whitespace around it ignored.
value_or_error<std::string, key_error> read_public_key_file(const std::filesystem::path& path);

}  // namespace parallm::nodes
