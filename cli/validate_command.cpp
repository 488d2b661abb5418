#include "cli/validate_command.hpp"

#include <cstdio>

#include "batch/id_registry.hpp"
#include "batch/input_line.hpp"
#include "batch/line_reader.hpp"
#include "cli/exit_codes.hpp"
#include "cli/job_setup.hpp"

namespace parallm::cli {
namespace {

constexpr std::uint64_t max_reported = 100;

struct input_check {
  std::uint64_t items = 0;
  std::uint64_t problems = 0;
};

void report(const std::string& path, std::uint64_t line, const std::string& message,
            input_check& check) {
  if (++check.problems <= max_reported) {
    std::fprintf(stderr, "%s:%llu: %s\n", path.c_str(), static_cast<unsigned long long>(line),
                 message.c_str());
  }
}

// Checks every line as `run` would admit it: a JSON object, a unique id, every template
// variable present.
input_check check_input(const std::string& path, const flow::graph& graph) {
  input_check check;
  batch::line_reader reader(path);
  batch::id_registry seen;
  std::string line;
  while (reader.next(line)) {
    auto item = batch::parse_input_line(line, reader.line_number());
    if (!item) continue;
    ++check.items;
    if (!item->error.empty()) {
      report(path, item->line, item->error, check);
      continue;
    }
    if (!item->id.empty() && !seen.insert(item->id, item->line)) {
      report(path, item->line, batch::duplicate_id_error(item->id, seen.first_line(item->id)),
             check);
    }
    for (const auto name : graph.missing_inputs(item->fields)) {
      report(path, item->line, "missing template variable '" + std::string(name) + "'", check);
    }
  }
  if (!reader.error().empty()) {
    std::fprintf(stderr, "%s\n", reader.error().c_str());
    ++check.problems;
  }
  if (check.problems > max_reported) {
    std::fprintf(stderr, "%s: ... and %llu more problems\n", path.c_str(),
                 static_cast<unsigned long long>(check.problems - max_reported));
  }
  return check;
}

}  // namespace

int validate_command(const validate_args& args) {
  auto graph = load_graph(args.job_path, overrides_for(args.shorthands, args.overrides));
  if (!graph) return exit_bad_input;
  if (!args.input) {
    std::printf("%s: ok (%zu nodes)\n", args.job_path.c_str(), graph->nodes().size());
    return exit_ok;
  }
  if (auto problem = check_input_readable(*args.input)) {
    std::fprintf(stderr, "parallm: %s\n", problem->c_str());
    return exit_bad_input;
  }
  const auto check = check_input(*args.input, *graph);
  if (check.problems > 0) {
    std::fprintf(stderr, "parallm: %llu problem%s in %s\n",
                 static_cast<unsigned long long>(check.problems), check.problems == 1 ? "" : "s",
                 args.input->c_str());
    return exit_bad_input;
  }
  std::printf("%s: ok (%zu nodes); %s: ok (%llu items)\n", args.job_path.c_str(),
              graph->nodes().size(), args.input->c_str(),
              static_cast<unsigned long long>(check.items));
  return exit_ok;
}

}  // namespace parallm::cli
