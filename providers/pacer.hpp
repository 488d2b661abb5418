#pragma once
// A token bucket kept as one time point, the "theoretical arrival time" of the generic cell
// rate algorithm: no token count to refill, so charging and asking are a few arithmetic steps.
// The bucket is full when tat_ is at or before now; each unit charged moves tat_ one interval on.

#include <algorithm>
#include <chrono>
#include <cmath>

namespace parallm::providers {

class pacer {
 public:
  using clock = std::chrono::steady_clock;

  // rate: units per second (> 0); depth: the units a full bucket holds (>= 1, may be fractional).
  void set(double rate, double depth) {
    interval_ns_ = 1e9 / rate;
    depth_ = depth;
    engaged_ = true;
  }
  void disengage() { engaged_ = false; }
  bool engaged() const { return engaged_; }

  // The earliest time a call costing `cost` units may pass. A cost above the depth passes on a
  // full bucket and leaves a debt, so that one oversized call is slowed, not refused forever.
  clock::time_point ready_at(double cost) const {
    const double slack = (depth_ - std::min(cost, depth_)) * interval_ns_;
    return tat_ - clock::duration{static_cast<clock::rep>(std::ceil(slack))};
  }

  // Charges round up to the nanosecond, so rounding can let a call through at most 1 ns early
  // however many were charged before it.
  void charge(double cost, clock::time_point now) { tat_ = std::max(tat_, now) + span(cost); }

  // A later correction of a charge: positive takes more, negative gives back (never beyond full,
  // since charge() starts from now when tat_ has fallen behind it).
  void adjust(double cost) { tat_ += span(cost); }

  // Empties the bucket: the next unit passes one interval after now.
  void drain(clock::time_point now) { tat_ = std::max(tat_, now + span(depth_)); }

 private:
  clock::duration span(double cost) const {
    return clock::duration{static_cast<clock::rep>(std::ceil(cost * interval_ns_))};
  }

  double interval_ns_ = 0;
  double depth_ = 1;
  bool engaged_ = false;
  clock::time_point tat_{};
};

}  // namespace parallm::providers
