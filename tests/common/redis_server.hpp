#pragma once
// A real redis-server for one test: its own free loopback port and scratch
// directory, stopped (and the directory removed) when the fixture goes,
// also when the test fails. kill_hard() + restart() simulate a crash.

#include "child_process.hpp"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace dref::test {

class redis_server {
public:
  struct settings {
    bool append_only = false;
    // The port speaks TLS only (--port 0 --tls-port P); give the
    // --tls-cert-file etc. in extra_args.
    bool tls_only = false;
    std::vector<std::string> extra_args; // e.g. --requirepass, --user, --tls-auth-clients
  };

  explicit redis_server(bool append_only = false);
  explicit redis_server(settings how);
  ~redis_server();

  std::uint16_t port() const noexcept { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  void kill_hard();
  void restart(); // same port, same data directory

private:
  void start();
  std::uint16_t port_;
  settings settings_;
  std::filesystem::path dir_;
  std::unique_ptr<child_process> process_;
};

} // namespace dref::test
