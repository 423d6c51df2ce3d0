#include "redis/client.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <future>
#include <hiredis/hiredis.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

namespace dref::redis {

namespace {

std::string format_command(const std::vector<std::string>& argv) {
  std::vector<const char*> args;
  std::vector<std::size_t> lengths;
  for (const auto& arg : argv) {
    args.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  char* formatted = nullptr;
  int length = redisFormatCommandArgv(&formatted, static_cast<int>(args.size()), args.data(),
                                      lengths.data());
  std::string out;
  if (length > 0)
    out.assign(formatted, static_cast<std::size_t>(length));
  redisFreeCommand(formatted);
  return out;
}

// A non-blocking TCP connection, or -1 with errno describing why not.
int connect_with_timeout(const std::string& host, std::uint16_t port,
                         std::chrono::milliseconds timeout, std::string& why) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found); rc != 0) {
    why = gai_strerror(rc);
    return -1;
  }
  int fd = -1;
  for (auto* entry = found; entry != nullptr && fd < 0; entry = entry->ai_next) {
    fd = ::socket(entry->ai_family, entry->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
      continue;
    if (::connect(fd, entry->ai_addr, entry->ai_addrlen) != 0 && errno != EINPROGRESS) {
      why = std::strerror(errno);
      ::close(fd);
      fd = -1;
      continue;
    }
    pollfd wait{fd, POLLOUT, 0};
    int ready = ::poll(&wait, 1, static_cast<int>(timeout.count()));
    int err = 0;
    socklen_t len = sizeof(err);
    if (ready <= 0 || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
      why = ready == 0 ? "connect timed out" : std::strerror(err != 0 ? err : errno);
      ::close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  if (fd >= 0) {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  return fd;
}

} // namespace

client::client(options opts) : opts_(std::move(opts)) {
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  thread_ = std::thread{[this] { run(); }};
}

client::~client() {
  stopping_ = true;
  std::uint64_t one = 1;
  [[maybe_unused]] auto ignored = ::write(wake_fd_, &one, sizeof(one));
  thread_.join();
  ::close(wake_fd_);
}

void client::submit(std::vector<std::string> argv, callback done) {
  if (stopping_) {
    done(error{errc::shutting_down, "redis client for " + address() + " is stopping"});
    return;
  }
  {
    std::lock_guard guard{mutex_};
    queue_.push_back({format_command(argv), std::move(done)});
  }
  std::uint64_t one = 1;
  [[maybe_unused]] auto ignored = ::write(wake_fd_, &one, sizeof(one));
}

result<reply> await_reply(const std::function<void(client::callback)>& send,
                          std::chrono::milliseconds timeout, const std::string& what) {
  auto answer = std::make_shared<std::promise<result<reply>>>();
  auto future = answer->get_future();
  send([answer](result<reply> r) { answer->set_value(std::move(r)); });
  if (future.wait_for(timeout) != std::future_status::ready)
    return error{errc::timeout, what + " within " + std::to_string(timeout.count()) + " ms"};
  return future.get();
}

result<reply> client::call(std::vector<std::string> argv, std::chrono::milliseconds timeout) {
  return await_reply([&](callback done) { submit(std::move(argv), std::move(done)); }, timeout,
                     "no answer from redis at " + address());
}

void client::fail_queued(errc code, const std::string& why) {
  std::deque<pending> failed;
  {
    std::lock_guard guard{mutex_};
    failed.swap(queue_);
  }
  for (auto& item : failed)
    item.done(error{code, why});
}

void client::disconnect(std::deque<callback>& in_flight, const std::string& why) {
  ::close(socket_);
  socket_ = -1;
  connected_ = false;
  auto waiting = std::move(in_flight);
  in_flight.clear();
  for (auto& done : waiting)
    done(error{errc::timeout, "connection to redis at " + address() + " lost (" + why
                                + ") after the command was sent; it may or may not have "
                                  "taken effect"});
}

void client::run() {
  std::deque<callback> in_flight;
  std::string out;
  redisReader* reader = nullptr;
  auto backoff = std::chrono::milliseconds{10};
  auto drain_wake = [this] {
    std::uint64_t count = 0;
    [[maybe_unused]] auto ignored = ::read(wake_fd_, &count, sizeof(count));
  };
  while (!stopping_) {
    if (socket_ < 0) {
      std::string why;
      socket_ = connect_with_timeout(opts_.host, opts_.port, opts_.connect_timeout, why);
      if (socket_ < 0) {
        fail_queued(errc::unavailable, "cannot connect to redis at " + address() + ": " + why);
        pollfd wake{wake_fd_, POLLIN, 0};
        ::poll(&wake, 1, static_cast<int>(backoff.count()));
        drain_wake();
        backoff = std::min(backoff * 2, opts_.max_backoff);
        continue;
      }
      backoff = std::chrono::milliseconds{10};
      if (reader)
        redisReaderFree(reader);
      reader = redisReaderCreate();
      out.clear();
      connected_ = true;
    }
    {
      std::lock_guard guard{mutex_};
      for (auto& item : queue_) {
        out += item.wire;
        in_flight.push_back(std::move(item.done));
      }
      queue_.clear();
    }
    pollfd fds[2] = {{socket_, static_cast<short>(POLLIN | (out.empty() ? 0 : POLLOUT)), 0},
                     {wake_fd_, POLLIN, 0}};
    if (::poll(fds, 2, 200) < 0 && errno != EINTR)
      break;
    if (fds[1].revents & POLLIN)
      drain_wake();
    if (fds[0].revents & POLLOUT) {
      auto sent = ::send(socket_, out.data(), out.size(), MSG_NOSIGNAL);
      if (sent > 0)
        out.erase(0, static_cast<std::size_t>(sent));
      else if (sent < 0 && errno != EAGAIN && errno != EINTR) {
        disconnect(in_flight, std::strerror(errno));
        continue;
      }
    }
    if (fds[0].revents & (POLLIN | POLLERR | POLLHUP)) {
      char buf[65536];
      auto got = ::recv(socket_, buf, sizeof(buf), 0);
      if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
        disconnect(in_flight, got == 0 ? "closed by the server" : std::strerror(errno));
        continue;
      }
      if (got > 0)
        redisReaderFeed(reader, buf, static_cast<std::size_t>(got));
      void* raw = nullptr;
      while (!in_flight.empty()) {
        if (redisReaderGetReply(reader, &raw) != REDIS_OK) {
          disconnect(in_flight, "malformed reply");
          break;
        }
        if (!raw)
          break;
        auto done = std::move(in_flight.front());
        in_flight.pop_front();
        auto answer = from_hiredis(*static_cast<redisReply*>(raw));
        freeReplyObject(raw);
        done(std::move(answer));
      }
    }
  }
  if (socket_ >= 0)
    ::close(socket_);
  socket_ = -1;
  connected_ = false;
  if (reader)
    redisReaderFree(reader);
  for (auto& done : in_flight)
    done(error{errc::shutting_down, "redis client for " + address() + " stopped"});
  fail_queued(errc::shutting_down, "redis client for " + address() + " stopped");
}

} // namespace dref::redis
