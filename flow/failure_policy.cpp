#include "flow/failure_policy.hpp"

namespace parallm::flow {
namespace {

constexpr std::size_t listed_errors = 5;

}  // namespace

verdict judge(int total, int succeeded, std::optional<int> min_success) {
  if (succeeded >= total) return verdict::ok;
  if (succeeded >= min_success.value_or(total)) return verdict::partial;
  return verdict::failed;
}

std::string describe_failure(int total, int succeeded, std::optional<int> min_success,
                             const std::vector<std::string>& errors) {
  std::string text = std::to_string(succeeded) + " of " + std::to_string(total) +
                     " branches succeeded, min_success " +
                     std::to_string(min_success.value_or(total));
  for (std::size_t i = 0; i < errors.size() && i < listed_errors; ++i) {
    text += i == 0 ? ": " : "; ";
    text += errors[i];
  }
  if (errors.size() > listed_errors) {
    text += "; \u2026and " + std::to_string(errors.size() - listed_errors) + " more";
  }
  return text;
}

}  // namespace parallm::flow
