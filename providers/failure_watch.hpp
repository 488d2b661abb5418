#pragma once
// Noticing a run that cannot succeed. A wrong key variable, port, host or model makes every
// call fail the same way; without this the run would go through the whole batch (with all
// its retries) to report the same error once per item.

#include <optional>
#include <string>

#include "providers/call_outcome.hpp"

namespace parallm::providers {

class failure_watch {
 public:
  // threshold 0: never stop.
  explicit failure_watch(int threshold) : threshold_(threshold) {}

  // Each call's final outcome (after its retries), in the order calls settle. Returns the
  // message, once, when the first `threshold` settled calls all failed with the same error
  // class (the HTTP status, or the transport error): "stopped after the first 20 calls all
  // failed: HTTP 401 (Incorrect API key)". A success, or a failure of another class, among
  // the first `threshold` calls disarms it for the rest of the run. A pass-through answer
  // (an OpenAI Batch line) that carries an HTTP error status counts as a failure.
  std::optional<std::string> on_settled(const call_outcome& outcome);

  bool tripped() const { return tripped_; }

 private:
  int threshold_;
  int failed_ = 0;
  bool disarmed_ = false;
  bool tripped_ = false;
  std::string class_;  // of the first failure
  std::string cause_;  // how the first failure reads in the message
};

}  // namespace parallm::providers
