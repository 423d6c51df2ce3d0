#pragma once
// result<T>: a value or a dref::error, for the pure layers (no CAF there).
// A small subset of C++23 std::expected, which g++ 12 lacks in C++20 mode.

#include "dref/protocol/error.hpp"

#include <cassert>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <variant>

namespace dref {

// Thrown only by result::value() on an error: the blocking API edge.
class error_exception : public std::runtime_error {
public:
  explicit error_exception(dref::error err)
      : std::runtime_error(err.to_string())
      , error_(std::move(err)) {}
  const dref::error& error() const noexcept { return error_; }

private:
  dref::error error_;
};

template <class T>
class [[nodiscard]] result {
public:
  using value_type = T;

  result(T value)
      : state_(std::in_place_index<0>, std::move(value)) {}
  result(dref::error err)
      : state_(std::in_place_index<1>, std::move(err)) {}
  // Anything T converts from (e.g. one alternative of a variant T).
  template <class U>
  requires(!std::is_same_v<std::remove_cvref_t<U>, result> &&
           !std::is_same_v<std::remove_cvref_t<U>, T> &&
           !std::is_same_v<std::remove_cvref_t<U>, dref::error> && std::is_convertible_v<U&&, T>)
      result(U&& value)
      : state_(std::in_place_index<0>, T(std::forward<U>(value))) {}

  bool has_value() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& operator*() & { return std::get<0>(state_); }
  const T& operator*() const& { return std::get<0>(state_); }
  T&& operator*() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &std::get<0>(state_); }
  const T* operator->() const { return &std::get<0>(state_); }

  const dref::error& error() const& { return std::get<1>(state_); }
  dref::error&& error() && { return std::get<1>(std::move(state_)); }

  T& value() & {
    throw_if_error();
    return **this;
  }
  const T& value() const& {
    throw_if_error();
    return **this;
  }
  T&& value() && {
    throw_if_error();
    return std::move(**this);
  }

  friend bool operator==(const result&, const result&) = default;

private:
  void throw_if_error() const {
    if (!has_value())
      throw error_exception(std::get<1>(state_));
  }

  std::variant<T, dref::error> state_;
};

template <>
class [[nodiscard]] result<void> {
public:
  using value_type = void;

  result() = default;
  result(dref::error err)
      : error_(std::move(err))
      , failed_(true) {}

  bool has_value() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return has_value(); }
  const dref::error& error() const& { return error_; }
  dref::error&& error() && { return std::move(error_); }
  void value() const {
    if (failed_)
      throw error_exception(error_);
  }

  friend bool operator==(const result&, const result&) = default;

private:
  dref::error error_;
  bool failed_ = false;
};

} // namespace dref
