#pragma once
// How an actor of the run fails, so that the run can notice and say why.
//
// report_exceptions: an exception escaping a handler ends the actor with the exception's text
// as its exit reason (CAF's default handler prints to stdout, which may be the output file,
// and drops the text).
//
// fault_countdown: a test-only way to make a real actor throw. The end-to-end tests must
// prove that a run ends (instead of hanging) when its reducer or coordinator dies, and no
// input or job makes a correct actor throw. PARALLM_TEST_FAULT=ACTOR:after=N (ACTOR one of
// reducer, coordinator, reader, worker) makes ACTOR throw on its (N+1)-th counted message.
// It is read once per process and does nothing when unset, as in every normal use.

#include <cstdint>
#include <optional>
#include <string>

#include <caf/fwd.hpp>

namespace parallm::actors {

void report_exceptions(caf::scheduled_actor* self);

// The text of an exit reason: the exception's message for report_exceptions' errors.
std::string describe_exit_reason(const caf::error& reason);

class fault_countdown {
 public:
  // Armed when PARALLM_TEST_FAULT names this actor.
  explicit fault_countdown(const std::string& actor);
  // Counts one message; throws std::runtime_error when the countdown ran out.
  void tick();

 private:
  std::string actor_;
  std::optional<std::uint64_t> left_;
};

}  // namespace parallm::actors
