#pragma once
// Reading a job file into the validated model, with every error reported at once.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostic.hpp"
#include "config/job.hpp"

namespace parallm::config {

struct job_load_result {
  std::optional<job> value;  // set only when errors is empty
  diagnostics errors;
  // Things the user should know that are not errors (fields a --set of the kind dropped).
  std::vector<std::string> notes;
};

struct job_load_options {
  // An OpenAI Batch file brings its own requests: its job may hold only a provider (and
  // limits); the caller then adds the one pass-through node.
  bool nodes_optional = false;
  // The files the job names (a provider's ca_file) are checked to exist on this host. A
  // coordinator reads jobs for its workers, which open those files on their own hosts.
  bool local_files = true;
};

// overrides are "--set" values: "limits.concurrency=32", "provider.model=gpt-4o".
job_load_result parse_job(std::string_view yaml_text, const std::string& path,
                          const std::vector<std::string>& overrides = {},
                          job_load_options options = {});
job_load_result load_job_file(const std::string& path,
                              const std::vector<std::string>& overrides = {},
                              job_load_options options = {});

}  // namespace parallm::config
