#pragma once
// Running another program the way a shell would, for `lock -- CMD`, and
// stopping it when the lock it runs under is lost (what `consul lock` does;
// the contract is in apps/drefctl/README.md, "lock").

#include "dref/protocol/result.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace drefctl {

// What run_command watches while the command runs.
struct lock_watch {
  // Polled every few milliseconds: why the lock is lost, or nullopt while
  // it is held. Reads the clock, so after drefctl itself was paused
  // (SIGSTOP) the first poll on resume already sees the loss.
  std::function<std::optional<std::string>()> lost;
  // From SIGTERM to SIGKILL of the command's process group.
  std::chrono::milliseconds kill_grace{5000};
};

struct command_outcome {
  // The command's exit code, 128 + the signal that ended it, or 127 when it
  // could not be started (as shells do).
  int exit_code = 0;
  // Set when the lock was lost while the command ran: why, as lost() said.
  std::optional<std::string> lost;
};

// Runs argv[0] (looked up in PATH) with argv and these variables added to
// drefctl's environment, in a process group of its own, and waits for it.
// SIGINT, SIGTERM and SIGHUP that drefctl receives meanwhile are passed on
// to that group. When watch.lost() reports a loss: the group gets SIGTERM,
// SIGKILL after watch.kill_grace if the command still runs, and SIGKILL
// once the command exited (so nothing it started runs on). An error only
// when no child process could be made.
dref::result<command_outcome>
run_command(const std::vector<std::string>& argv,
            const std::vector<std::pair<std::string, std::string>>& environment,
            const lock_watch& watch);

} // namespace drefctl
