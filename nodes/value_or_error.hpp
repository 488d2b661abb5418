#pragma once
// A value or why there is none: what decoding a frame and converting its body give, so that a
// refused frame is a value to count, never an exception.

#include <utility>
#include <variant>

namespace parallm::nodes {

template <class T, class E>
class value_or_error {
 public:
  value_or_error(T v) : value_(std::move(v)) {}
  value_or_error(E e) : value_(std::move(e)) {}

  bool has_value() const { return value_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& value() { return std::get<0>(value_); }
  const T& value() const { return std::get<0>(value_); }
  E error() const { return std::get<1>(value_); }

 private:
  std::variant<T, E> value_;
};

}  // namespace parallm::nodes
