#include "nodes/authorized_keys.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <system_error>

#include "nodes/curve_keys.hpp"

namespace parallm::nodes {
namespace {

// More files than this is not an allow-list an operator keeps by hand; the rest are ignored,
// so that a directory filled by mistake cannot make a reload take unbounded time or memory.
constexpr std::size_t max_key_files = 100000;

bool listed(const std::filesystem::directory_entry& entry) {
  const auto name = entry.path().filename().string();
  if (name.empty() || name.front() == '.') return false;
  std::error_code ec;
  return entry.is_regular_file(ec);
}

}  // namespace

authorized_keys::authorized_keys(std::filesystem::path dir) : dir_(std::move(dir)) {}

std::vector<authorized_keys::file_stamp> authorized_keys::stamps() const {
  std::vector<file_stamp> result;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir_, ec);
  if (ec) return result;
  for (const auto end = std::filesystem::directory_iterator(); it != end && !ec; it.increment(ec)) {
    if (!listed(*it)) continue;
    struct stat info {};
    if (::stat(it->path().c_str(), &info) != 0) continue;
    result.push_back(
        {it->path().filename().string(), static_cast<std::uintmax_t>(info.st_size),
         static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec});
    if (result.size() >= max_key_files) break;
  }
  std::sort(result.begin(), result.end(),
            [](const file_stamp& a, const file_stamp& b) { return a.name < b.name; });
  return result;
}

bool authorized_keys::changed() const {
  return !loaded_ || stamps() != seen_;
}

bool authorized_keys::load() {
  loaded_ = true;
  keys_.clear();
  std::error_code ec;
  if (!std::filesystem::is_directory(dir_, ec)) {
    seen_.clear();
    if (!unreadable_warned_) {
      unreadable_warned_ = true;
      warnings_.push_back("the key directory " + dir_.string() +
                          " cannot be read; no key in it is admitted");
    }
    return false;
  }
  unreadable_warned_ = false;
  seen_ = stamps();
  std::set<std::string> still_bad;
  for (const auto& stamp : seen_) {
    const auto key = read_public_key_file(dir_ / stamp.name);
    if (key) {
      keys_.insert(key.value());
      continue;
    }
    const auto mark =
        stamp.name + " " + std::to_string(stamp.size) + " " + std::to_string(stamp.mtime_ns);
    still_bad.insert(mark);
    if (!warned_.count(mark)) warnings_.push_back(key.error().message + "; skipped");
  }
  // Only files still bad stay remembered: one fixed and broken again is said again.
  warned_ = std::move(still_bad);
  return true;
}

std::vector<std::string> authorized_keys::take_warnings() {
  std::vector<std::string> out;
  out.swap(warnings_);
  return out;
}

}  // namespace parallm::nodes
