#include "nodes/curve_keys.hpp"

#include <sys/stat.h>
#include <zmq.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace parallm::nodes {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

// A key file is one short line; anything much longer is not one, and is not read whole.
constexpr std::streamsize max_key_file_bytes = 4096;

std::optional<std::string> read_small_file(const std::filesystem::path& path, std::string& why) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    why = std::strerror(errno);
    return std::nullopt;
  }
  std::string text(max_key_file_bytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) {
    why = "cannot read it";
    return std::nullopt;
  }
  text.resize(static_cast<std::size_t>(in.gcount()));
  return text;
}

}  // namespace

std::optional<std::string> parse_z85_key(std::string_view text) {
  const auto key = trimmed(text);
  if (key.size() != z85_key_chars) return std::nullopt;
  std::string z85(key);
  std::array<std::uint8_t, curve_key_bytes> bytes{};
  if (zmq_z85_decode(bytes.data(), z85.c_str()) == nullptr) return std::nullopt;
  return z85;
}

std::string z85_of(std::string_view key_bytes) {
  if (key_bytes.size() != curve_key_bytes) return {};
  std::array<char, z85_key_chars + 1> text{};
  zmq_z85_encode(text.data(), reinterpret_cast<const std::uint8_t*>(key_bytes.data()),
                 key_bytes.size());
  return std::string(text.data(), z85_key_chars);
}

std::string fingerprint(std::string_view public_key) {
  return std::string(public_key.substr(0, fingerprint_chars));
}

curve_keypair generate_curve_keypair() {
  std::array<char, z85_key_chars + 1> public_key{};
  std::array<char, z85_key_chars + 1> secret_key{};
  if (zmq_curve_keypair(public_key.data(), secret_key.data()) != 0) {
    throw std::runtime_error(std::string("cannot make a CURVE key pair: ") +
                             zmq_strerror(zmq_errno()));
  }
  return {std::string(public_key.data(), z85_key_chars),
          std::string(secret_key.data(), z85_key_chars)};
}

std::optional<std::string> public_key_of(std::string_view secret_key) {
  const auto secret = parse_z85_key(secret_key);
  if (!secret) return std::nullopt;
  std::array<char, z85_key_chars + 1> public_key{};
  if (zmq_curve_public(public_key.data(), secret->c_str()) != 0) return std::nullopt;
  return std::string(public_key.data(), z85_key_chars);
}

value_or_error<curve_keypair, key_error> read_secret_key_file(const std::filesystem::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    return key_error{"cannot read the secret key file " + path.string() + ": " +
                     std::strerror(errno)};
  }
  if (!S_ISREG(info.st_mode)) {
    return key_error{"the secret key file " + path.string() + " is not a regular file"};
  }
  if ((info.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%03o", static_cast<unsigned>(info.st_mode & 0777));
    return key_error{"the secret key file " + path.string() + " may be read by others (mode " +
                     mode + "); chmod 600 it"};
  }
  std::string why;
  const auto text = read_small_file(path, why);
  if (!text) return key_error{"cannot read the secret key file " + path.string() + ": " + why};
  const auto secret = parse_z85_key(*text);
  const auto derived = secret ? public_key_of(*secret) : std::nullopt;
  if (!derived) {
    return key_error{"the secret key file " + path.string() +
                     " does not hold one 40-character Z85 key (parallm keygen writes one)"};
  }
  return curve_keypair{*derived, *secret};
}

value_or_error<std::string, key_error> read_public_key_file(const std::filesystem::path& path) {
  std::string why;
  const auto text = read_small_file(path, why);
  if (!text) return key_error{"cannot read the public key file " + path.string() + ": " + why};
  auto key = parse_z85_key(*text);
  if (!key) {
    return key_error{"the public key file " + path.string() +
                     " does not hold one 40-character Z85 key (parallm keygen writes one)"};
  }
  return std::move(*key);
}

}  // namespace parallm::nodes
