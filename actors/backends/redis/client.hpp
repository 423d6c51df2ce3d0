#pragma once
// A pipelining Redis client on its own I/O thread. Commands are sent in
// batches as they come and answered in order through callbacks, which run on
// the I/O thread and must not block (the redis backend turns them into actor
// messages). hiredis only formats commands and parses replies; the socket,
// poll() and the wake-up eventfd are ours, so stopping never waits on a
// blocked read.
//
// Failures: a command not yet sent when the connection is down fails with
// errc::unavailable (it did not happen); one already sent when the
// connection breaks fails with errc::timeout (it may or may not have
// happened). The client reconnects by itself, with backoff.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "dref/protocol/result.hpp"
#include "redis/reply.hpp"

namespace dref::redis {

class client {
public:
  struct options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 6379;
    std::chrono::milliseconds connect_timeout{1000};
    std::chrono::milliseconds max_backoff{1000};
  };

  using callback = std::function<void(result<reply>)>;

  explicit client(options opts);
  client(const client&) = delete;
  client& operator=(const client&) = delete;
  ~client(); // pending commands fail with errc::shutting_down

  void submit(std::vector<std::string> argv, callback done);

  // Blocking convenience for set-up code and tests.
  result<reply> call(std::vector<std::string> argv,
                     std::chrono::milliseconds timeout = std::chrono::seconds{5});

  bool connected() const noexcept { return connected_.load(); }
  std::string address() const { return opts_.host + ":" + std::to_string(opts_.port); }

private:
  struct pending {
    std::string wire; // formatted command
    callback done;
  };

  void run();
  bool connect_once();
  void disconnect(std::deque<callback>& in_flight, const std::string& why);
  void fail_queued(errc code, const std::string& why);

  options opts_;
  int wake_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> connected_{false};
  std::mutex mutex_;
  std::deque<pending> queue_; // guarded by mutex_
  int socket_ = -1;           // I/O thread only
  std::thread thread_;
};

// Blocks until the callback that send hands on is called; errc::timeout
// ("<what> within N ms") if it is not called in time.
result<reply> await_reply(const std::function<void(client::callback)>& send,
                          std::chrono::milliseconds timeout, const std::string& what);

} // namespace dref::redis
