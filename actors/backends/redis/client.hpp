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
//
// Every connection, the first and each reconnect, is set up before any
// command goes out: TCP, then the TLS handshake if options.security.tls
// (the server's certificate verified against the CA and the server name),
// then AUTH [user] password if a password is set (with TLS and no password,
// a PING: the server may refuse the client's certificate only after the
// handshake). Until that is done the
// client is not connected(); when a step fails (refused certificate,
// WRONGPASS, ...) every queued command fails with errc::unavailable and a
// message naming the cause, and the client tries again after a backoff.

#include "dref/config/node_config.hpp"
#include "dref/protocol/result.hpp"
#include "redis/reply.hpp"
#include "redis/transport.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

struct redisReader; // hiredis

namespace dref::redis {

class client {
public:
  struct options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 6379;
    std::chrono::milliseconds connect_timeout{1000};
    std::chrono::milliseconds max_backoff{1000};
    config::redis_security security; // password and TLS; password_file is not read here
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

  // Where the connection is: set-up steps come before any queued command.
  enum class phase { handshake, greeting, ready };

  void run();
  bool open_connection(std::deque<callback>& in_flight, std::string& out);
  void step_handshake(std::deque<callback>& in_flight, std::string& out);
  void pump(short revents, std::deque<callback>& in_flight, std::string& out);
  void read_replies(std::deque<callback>& in_flight);
  void lost(std::deque<callback>& in_flight, const io_step& step);
  void disconnect(std::deque<callback>& in_flight, const std::string& why);
  void attempt_failed(const std::string& why);
  void fail_queued(errc code, const std::string& why);
  void drain_wake();

  options opts_;
  std::shared_ptr<transport_factory> factory_; // null: factory_failure_ says why
  std::string factory_failure_;
  int wake_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> connected_{false};
  std::mutex mutex_;
  std::deque<pending> queue_; // guarded by mutex_
  // The I/O thread's alone: the connection and where its set-up is.
  int socket_ = -1;
  std::unique_ptr<transport> transport_;
  phase phase_ = phase::handshake;
  io_step::state waiting_ = io_step::state::done; // handshake: what it waits for
  bool read_waits_for_write_ = false;             // TLS: the last read wanted POLLOUT
  bool write_waits_for_read_ = false;             // TLS: the last write wanted POLLIN
  std::chrono::steady_clock::time_point setup_deadline_;
  std::string auth_refusal_; // the server's answer to AUTH when it was an error
  bool greeted_ = false;
  std::chrono::milliseconds backoff_{10};
  ::redisReader* reader_ = nullptr;
  std::thread thread_;
};

// Blocks until the callback that send hands on is called; errc::timeout
// ("<what> within N ms") if it is not called in time.
result<reply> await_reply(const std::function<void(client::callback)>& send,
                          std::chrono::milliseconds timeout, const std::string& what);

} // namespace dref::redis
