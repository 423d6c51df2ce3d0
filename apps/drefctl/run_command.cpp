#include "run_command.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace drefctl {
namespace {

volatile std::sig_atomic_t pending_signal = 0;

// drefctl's own handlers for the signals passed on, while a command runs;
// the ones before come back afterwards.
class forwarded_signals {
public:
  forwarded_signals() {
    struct sigaction action {};
    action.sa_handler = [](int sig) { pending_signal = sig; };
    sigemptyset(&action.sa_mask);
    for (std::size_t i = 0; i < std::size(signals_); ++i)
      ::sigaction(signals_[i], &action, &before_[i]);
  }
  ~forwarded_signals() {
    for (std::size_t i = 0; i < std::size(signals_); ++i)
      ::sigaction(signals_[i], &before_[i], nullptr);
  }
  forwarded_signals(const forwarded_signals&) = delete;
  forwarded_signals& operator=(const forwarded_signals&) = delete;

private:
  static constexpr int signals_[] = {SIGINT, SIGTERM, SIGHUP};
  struct sigaction before_[3]{};
};

} // namespace

dref::result<command_outcome>
run_command(const std::vector<std::string>& argv,
            const std::vector<std::pair<std::string, std::string>>& environment,
            const lock_watch& watch) {
  using clock = std::chrono::steady_clock;
  std::vector<char*> c_argv;
  for (const auto& arg : argv)
    c_argv.push_back(const_cast<char*>(arg.c_str()));
  c_argv.push_back(nullptr);
  // What drefctl printed so far comes before the child's output.
  std::cout.flush();
  forwarded_signals forwarding;
  pending_signal = 0;
  pid_t child = ::fork();
  if (child < 0)
    return dref::error{dref::errc::internal, "fork failed"};
  if (child == 0) {
    // A group of its own, so that a loss stops everything it started.
    ::setpgid(0, 0);
    for (const auto& [name, value] : environment)
      ::setenv(name.c_str(), value.c_str(), 1);
    ::execvp(c_argv[0], c_argv.data());
    std::perror(("drefctl: cannot run " + argv[0]).c_str());
    ::_exit(127);
  }
  ::setpgid(child, child); // also here: whichever of the two runs first
  command_outcome outcome;
  std::optional<clock::time_point> kill_at;
  int status = 0;
  // Polls: a few milliseconds of delay in exchange for a loop that a pause
  // of drefctl (SIGSTOP) cannot confuse; on resume the next round sees the
  // loss, since lost() reads the clock.
  while (true) {
    pid_t done = ::waitpid(child, &status, WNOHANG);
    if (done == child || (done < 0 && errno != EINTR))
      break;
    if (int sig = pending_signal) {
      pending_signal = 0;
      ::kill(-child, sig);
    }
    if (!outcome.lost && watch.lost) {
      if (auto why = watch.lost()) {
        outcome.lost = std::move(why);
        std::cerr << "drefctl: " << *outcome.lost
                  << "; sending SIGTERM to the command (process group " << child << "), SIGKILL in "
                  << watch.kill_grace.count() << " ms\n";
        ::kill(-child, SIGTERM);
        kill_at = clock::now() + watch.kill_grace;
      }
    }
    if (kill_at && clock::now() >= *kill_at) {
      std::cerr << "drefctl: the command outlived the grace period; sending SIGKILL\n";
      ::kill(-child, SIGKILL);
      kill_at.reset();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  }
  // Seen only now: drefctl was paused (or slow) while the command ended,
  // and cannot tell whether the loss came before that end.
  if (!outcome.lost && watch.lost)
    outcome.lost = watch.lost();
  if (outcome.lost)
    ::kill(-child, SIGKILL); // what the command started and left behind
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return outcome;
}

} // namespace drefctl
