#include "redis_server.hpp"

#include <stdexcept>
#include <stdlib.h>

namespace dref::test {

redis_server::redis_server(bool append_only) : port_(free_loopback_port()), append_only_(append_only) {
  std::string pattern = (std::filesystem::temp_directory_path() / "dref-redis-XXXXXX").string();
  dir_ = ::mkdtemp(pattern.data());
  start();
}

redis_server::~redis_server() {
  process_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void redis_server::start() {
  process_ = std::make_unique<child_process>(
    std::vector<std::string>{"redis-server", "--port", std::to_string(port_), "--bind",
                             "127.0.0.1", "--dir", dir_.string(), "--save", "",
                             "--appendonly", append_only_ ? "yes" : "no", "--appendfsync",
                             "always", "--protected-mode", "no"},
    (dir_ / "redis.log").string());
  if (!wait_until_listening(port_, std::chrono::seconds{10}))
    throw std::runtime_error("redis-server did not start on port " + std::to_string(port_)
                             + "; see " + (dir_ / "redis.log").string());
}

void redis_server::kill_hard() { process_->kill_hard(); }

void redis_server::restart() {
  process_.reset();
  start();
}

} // namespace dref::test
