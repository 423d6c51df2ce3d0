#pragma once
// How drefctl fails: the exit codes it promises, and the two ways a command
// gives up (the user asked for something malformed, or the cluster said no).

#include "dref/protocol/result.hpp"

#include <string>
#include <utility>

namespace drefctl {

constexpr int exit_ok = 0;
constexpr int exit_other = 1;
constexpr int exit_usage = 2;
constexpr int exit_precondition = 3;
constexpr int exit_timeout = 4;
// lock -- CMD: the lock was lost while CMD ran (README.md, "lock").
constexpr int exit_lock_lost = 5;

// A malformed command line; exits 2 with a pointer to --help.
struct usage_error {
  std::string message;
};

// A request the cluster (or the machine) refused; the exit code follows
// from the error code.
struct command_failed {
  dref::error error;
};

int exit_code_for(dref::errc code);

template <class T>
T checked(dref::result<T> result) {
  if (!result)
    throw command_failed{std::move(result).error()};
  return std::move(*result);
}

inline void checked(dref::result<void> result) {
  if (!result)
    throw command_failed{std::move(result).error()};
}

} // namespace drefctl
