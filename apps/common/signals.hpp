#pragma once
// Clean shutdown on SIGTERM/SIGINT: block them in every thread (call before
// the actor system starts its threads), then wait for one in main.

namespace dref::app {

void block_termination_signals();
int wait_for_termination_signal(); // the signal number

} // namespace dref::app
