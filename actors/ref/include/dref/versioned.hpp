#pragma once
// Small value types of dref::ref's API (ref.hpp).

#include <cstdint>
#include <functional>

namespace dref {

// A value, or a command's or query's answer, with the version it came at.
template <class T>
struct versioned {
  T value;
  std::uint64_t version = 0;
};

// What an effectful update's f returns: the next value and what to do once
// it is committed (may be empty).
template <class T>
struct with_effect {
  T value;
  std::function<void()> effect;
};

} // namespace dref
