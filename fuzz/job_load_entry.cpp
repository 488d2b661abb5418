// A job's text as a user writes it or a client submits it to a coordinator (which parses
// job_text and the client's overrides itself), so hostile YAML must be refused with errors,
// never crash the coordinator.

#include <string>
#include <vector>

#include "config/job_loader.hpp"
#include "fuzz/fuzz_entries.hpp"

namespace parallm::fuzz {

verdict job_load(std::string_view data) {
  const auto end_of_yaml = data.find('\0');
  const auto yaml = data.substr(0, end_of_yaml);
  std::vector<std::string> overrides;
  if (end_of_yaml != std::string_view::npos) {
    auto rest = data.substr(end_of_yaml + 1);
    while (true) {
      const auto end = rest.find('\0');
      overrides.emplace_back(rest.substr(0, end));
      if (end == std::string_view::npos) break;
      rest = rest.substr(end + 1);
    }
  }
  // As `run` reads it on this host, and as a coordinator reads a submitted one for its workers.
  config::job_load_options local;
  config::job_load_options for_workers{.nodes_optional = true, .local_files = false};
  // A ca_file is checked to exist: the paths a fuzzer writes do not, and nothing is opened.
  const auto as_run = config::parse_job(yaml, "fuzz.yaml", overrides, local);
  const auto as_submitted = config::parse_job(yaml, "fuzz.yaml", overrides, for_workers);
  for (const auto* result : {&as_run, &as_submitted}) {
    require(result->value.has_value() == result->errors.empty(),
            "a job is given exactly when there are no errors");
    for (const auto& error : result->errors) {
      require(!error.message.empty(), "every error says what is wrong");
      error.to_string();
    }
  }
  return as_run.value ? verdict::accepted : verdict::refused;
}

}  // namespace parallm::fuzz
