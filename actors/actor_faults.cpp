#include "actors/actor_faults.hpp"

#include <cstdlib>
#include <exception>
#include <stdexcept>

#include <caf/error.hpp>
#include <caf/message.hpp>
#include <caf/scheduled_actor.hpp>
#include <caf/sec.hpp>

namespace parallm::actors {
namespace {

struct fault_plan {
  std::string actor;
  std::uint64_t after = 0;
};

// "ACTOR:after=N"; anything else is no plan.
std::optional<fault_plan> parse_fault_plan(const char* text) {
  if (text == nullptr) return std::nullopt;
  const std::string spec(text);
  const auto colon = spec.find(":after=");
  if (colon == std::string::npos) return std::nullopt;
  try {
    return fault_plan{spec.substr(0, colon), std::stoull(spec.substr(colon + 7))};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

const std::optional<fault_plan>& fault_plan_of_process() {
  static const auto plan = parse_fault_plan(std::getenv("PARALLM_TEST_FAULT"));
  return plan;
}

}  // namespace

void report_exceptions(caf::scheduled_actor* self) {
  self->set_exception_handler([](caf::scheduled_actor*, std::exception_ptr& thrown) {
    try {
      std::rethrow_exception(thrown);
    } catch (const std::exception& e) {
      return caf::make_error(caf::sec::runtime_error, std::string(e.what()));
    } catch (...) {
      return caf::make_error(caf::sec::runtime_error, std::string("an unknown exception"));
    }
  });
}

std::string describe_exit_reason(const caf::error& reason) {
  const auto& context = reason.context();
  if (context.size() == 1 && context.match_element<std::string>(0)) {
    return context.get_as<std::string>(0);
  }
  return caf::to_string(reason);
}

fault_countdown::fault_countdown(const std::string& actor) : actor_(actor) {
  const auto& plan = fault_plan_of_process();
  if (plan && plan->actor == actor) left_ = plan->after;
}

void fault_countdown::tick() {
  if (!left_) return;
  if (*left_ == 0)
    throw std::runtime_error("injected fault in the " + actor_ + " (PARALLM_TEST_FAULT)");
  --*left_;
}

}  // namespace parallm::actors
