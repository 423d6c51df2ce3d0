// lock ID -- CMD and semaphore ID LIMIT -- CMD: run CMD while holding the
// lock (or permits), and stop it when they are lost, as `consul lock` does
// (README.md, "lock"; what the holder may assume: docs/locks.md).
#include "commands.hpp"
#include "dref/barrier.hpp"
#include "dref/semaphore.hpp"
#include "errors.hpp"
#include "run_command.hpp"

#include <iostream>

namespace drefctl {

namespace {

// Runs cmd.command under what guard holds (a lock_guard or a
// semaphore_permit), described as `what`.
template <class Guard>
int run_holding(const lock_command& cmd, const std::string& what, std::optional<Guard>& guard) {
  if (!guard)
    throw command_failed{
        dref::error{dref::errc::timeout, what + " was not granted within --timeout"}};
  lock_watch watch;
  watch.kill_grace = cmd.kill_grace;
  watch.lost = [&]() -> std::optional<std::string> {
    if (!guard->lost())
      return std::nullopt;
    return what + " lost (fencing token " + std::to_string(guard->fencing_token()) +
           "): no renewal of its session was acknowledged within the TTL (" +
           std::to_string(cmd.ttl.count()) +
           " ms; the member is unreachable or slow, or drefctl was paused), or the cluster "
           "expired the session";
  };
  auto outcome = checked(run_command(
      cmd.command, {{"DREF_FENCING_TOKEN", std::to_string(guard->fencing_token())}}, watch));
  guard.reset(); // released before we report
  if (outcome.lost) {
    std::cerr << "drefctl: the command ran under a lost " << what << " and ended with "
              << outcome.exit_code << "; exiting " << exit_lock_lost << '\n';
    return exit_lock_lost;
  }
  return outcome.exit_code;
}

} // namespace

int run(session& s, const lock_command& cmd) {
  s.set_session_ttl(cmd.ttl);
  auto guard = s.context().try_lock_for(dref::manual_id(cmd.id), s.options().timeout);
  return run_holding(cmd, "lock '" + cmd.id + "'", guard);
}

int run(session& s, const semaphore_command& cmd) {
  s.set_session_ttl(cmd.ttl);
  auto permits = dref::semaphore::make(s.context(), dref::manual_id(cmd.id), cmd.limit);
  auto guard = permits.try_acquire(cmd.permits, s.options().timeout);
  return run_holding(cmd, std::to_string(cmd.permits) + " permit(s) of semaphore '" + cmd.id + "'",
                     guard);
}

int run(session& s, const barrier_command& cmd) {
  auto stage = dref::barrier::make(s.context(), dref::manual_id(cmd.id), cmd.parties);
  auto round = checked(stage.try_arrive_and_wait(s.options().timeout));
  s.print(barrier_passed{cmd.id, round});
  return exit_ok;
}

} // namespace drefctl
