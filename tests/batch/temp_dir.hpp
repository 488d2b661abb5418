#pragma once
// The batch suites' view of the shared test temp dir: paths as strings, small file helpers.

#include <string>

#include "support/process.hpp"

namespace parallm::batch::testing {

class temp_dir {
 public:
  std::string file(const std::string& name) const { return (dir_ / name).string(); }

  std::string write(const std::string& name, const std::string& content) const {
    parallm::test::write_file(dir_ / name, content);
    return file(name);
  }

  std::string read(const std::string& name) const { return parallm::test::read_file(dir_ / name); }

 private:
  parallm::test::temp_dir dir_;
};

}  // namespace parallm::batch::testing
