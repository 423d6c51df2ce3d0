#include "signals.hpp"

#include <csignal>

namespace dref::app {

namespace {

sigset_t termination_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

} // namespace

void block_termination_signals() {
  auto set = termination_set();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int wait_for_termination_signal() {
  auto set = termination_set();
  int signal = 0;
  sigwait(&set, &signal);
  return signal;
}

} // namespace dref::app
