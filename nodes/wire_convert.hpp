#pragma once
// The actors' messages to the wire's structs and back, so that the gateway between a socket and
// the actors only moves bytes. Towards the wire nothing can fail. From the wire, what the codec
// cannot know is checked here, because it takes the receiver's state or the actors' rules: a
// task of a batch whose profiles never came, a profile index past its batch's table, a task for
// no choices, attempt 0, a negative latency. A refused frame is a value, never an exception.
//
// The actors' structs are only declared here: actors/messages.hpp brings CAF, which the
// callers that include this have anyway and the rest of nodes/ does without.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <unordered_map>

#include "flow/call_profile.hpp"
#include "nodes/value_or_error.hpp"
#include "nodes/wire_messages.hpp"

namespace parallm::actors {
struct batch_profiles;
struct task_batch;
struct result_batch;
}  // namespace parallm::actors

namespace parallm::nodes {

enum class convert_error {
  unknown_batch,         // a task of a batch whose profiles the receiver was not sent
  profile_out_of_range,  // a task's profile index is past its batch's table
  zero_count,            // a task asking for no choices
  zero_attempt,          // attempts count from 1
  negative_latency,
};
inline constexpr std::size_t convert_error_count = 5;

std::string_view to_string(convert_error e);

struct convert_failure {
  convert_error error = convert_error::unknown_batch;
  std::size_t index = 0;  // the entry of the frame's list at fault
  bool operator==(const convert_failure&) const = default;
};

// A converted message or why the frame was refused.
template <class T>
using converted = value_or_error<T, convert_failure>;

// The profiles a receiver holds, by batch: their number is all a task's check needs.
using profile_counts = std::unordered_map<std::uint64_t, std::size_t>;

// The timeout saturates at the wire's u32 milliseconds (49 days); a job's is at most a week.
call_profile to_wire(const flow::call_profile& p);
flow::call_profile from_wire(call_profile p);

batch_profiles to_wire(const actors::batch_profiles& b);
actors::batch_profiles from_wire(batch_profiles b);

task_frame to_wire(actors::task_batch b);
converted<actors::task_batch> from_wire(task_frame f, const profile_counts& profiles);

result_frame to_wire(actors::result_batch b);
converted<actors::result_batch> from_wire(result_frame f);

}  // namespace parallm::nodes
