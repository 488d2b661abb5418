#pragma once
// An allow-list directory: every regular file in it not starting with '.' holds one Z85 public
// key (a copy of some PREFIX.public), so that admitting a peer is copying its file in and
// refusing it again is removing the file — changes an operator can review and diff. A file
// that is not a key is warned about once and skipped.
//
// The owner reloads it when told to (SIGHUP) and when it changed: changed() compares the
// directory's listing, each file's size and modification time with what the last load saw,
// cheap enough to call every second.

#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace parallm::nodes {

class authorized_keys {
 public:
  explicit authorized_keys(std::filesystem::path dir);

  // Reads the directory again. False (and no keys: nobody is admitted) when it cannot be read;
  // warnings() says why.
  bool load();
  // The directory differs from what the last load() saw.
  bool changed() const;
  // Whether a Z85 public key is in the list.
  bool contains(const std::string& public_key) const { return keys_.count(public_key) > 0; }
  const std::set<std::string>& keys() const { return keys_; }
  const std::filesystem::path& dir() const { return dir_; }
  // What the last load() found wrong that it had not said before: files that are not a key,
  // each said once until it changes, and a directory that cannot be read.
  std::vector<std::string> take_warnings();

 private:
  // What a file looked like, to tell when it changed.
  struct file_stamp {
    std::string name;
    std::uintmax_t size = 0;
    std::int64_t mtime_ns = 0;
    bool operator==(const file_stamp&) const = default;
  };
  std::vector<file_stamp> stamps() const;

  std::filesystem::path dir_;
  std::set<std::string> keys_;
  std::vector<file_stamp> seen_;
  bool loaded_ = false;
  bool unreadable_warned_ = false;
  std::set<std::string> warned_;  // "name size mtime" of files already warned about
  std::vector<std::string> warnings_;
};

}  // namespace parallm::nodes
