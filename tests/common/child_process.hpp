#pragma once
// Servers that tests need (redis-server, dref-node) run as child processes
// that always stop: the destructor sends SIGTERM, then SIGKILL after a grace
// period, and PR_SET_PDEATHSIG kills them if the test process itself dies.

#include <chrono>
#include <string>
#include <sys/types.h>
#include <vector>

namespace dref::test {

// A TCP port on 127.0.0.1 that was free a moment ago, with the port above
// it free too (a raft member listens on both: config::member_port_of),
// never the same one twice, nor one above another, in any test process.
std::uint16_t free_loopback_port();

// True once something accepts TCP connections on 127.0.0.1:port.
bool wait_until_listening(std::uint16_t port, std::chrono::milliseconds timeout);

// A connected TCP socket to 127.0.0.1:port, or -1.
int dial_loopback(std::uint16_t port);

class child_process {
public:
  // argv[0] is looked up in PATH. Output goes to `log_path` (or /dev/null).
  child_process(std::vector<std::string> argv, std::string log_path = {});
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;
  ~child_process();

  pid_t pid() const noexcept { return pid_; }
  bool running();
  void kill_hard();                                                    // SIGKILL, reaped
  int stop(std::chrono::milliseconds grace = std::chrono::seconds{5}); // exit status

private:
  pid_t pid_ = -1;
  int status_ = 0;
};

} // namespace dref::test
