#include "redis_server.hpp"

#include <stdexcept>
#include <stdlib.h>

namespace dref::test {

redis_server::redis_server(bool append_only)
    : redis_server(settings{append_only, false, {}}) {}

redis_server::redis_server(settings how)
    : port_(free_loopback_port())
    , settings_(std::move(how)) {
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
  auto port = std::to_string(port_);
  std::vector<std::string> args{"redis-server",
                                "--bind",
                                "127.0.0.1",
                                "--dir",
                                dir_.string(),
                                "--save",
                                "",
                                "--appendonly",
                                settings_.append_only ? "yes" : "no",
                                "--appendfsync",
                                "always",
                                "--protected-mode",
                                "no"};
  for (const auto& arg : settings_.tls_only
                             ? std::vector<std::string>{"--port", "0", "--tls-port", port}
                             : std::vector<std::string>{"--port", port})
    args.push_back(arg);
  args.insert(args.end(), settings_.extra_args.begin(), settings_.extra_args.end());
  process_ = std::make_unique<child_process>(std::move(args), (dir_ / "redis.log").string());
  if (!wait_until_listening(port_, std::chrono::seconds{10}))
    throw std::runtime_error("redis-server did not start on port " + std::to_string(port_) +
                             "; see " + (dir_ / "redis.log").string());
}

void redis_server::kill_hard() {
  process_->kill_hard();
}

void redis_server::restart() {
  process_.reset();
  start();
}

} // namespace dref::test
