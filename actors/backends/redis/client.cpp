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

client::client(options opts)
    : opts_(std::move(opts)) {
  if (auto made = transport_factory::create(opts_.security))
    factory_ = std::move(*made);
  else
    factory_failure_ = made.error().message;
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

void client::drain_wake() {
  std::uint64_t count = 0;
  [[maybe_unused]] auto ignored = ::read(wake_fd_, &count, sizeof(count));
}

void client::disconnect(std::deque<callback>& in_flight, const std::string& why) {
  transport_.reset();
  ::close(socket_);
  socket_ = -1;
  connected_ = false;
  bool was_ready = phase_ == phase::ready;
  auto waiting = std::move(in_flight);
  in_flight.clear();
  for (auto& done : waiting)
    done(error{errc::timeout, "connection to redis at " + address() + " lost (" + why +
                                  ") after the command was sent; it may or may not have "
                                  "taken effect"});
  if (!was_ready) // nothing queued was sent: it fails as not done
    attempt_failed(why);
}

// A connection that could not be made or set up: what waits fails at once,
// with the cause, rather than hanging until the server changes its mind.
void client::attempt_failed(const std::string& why) {
  fail_queued(errc::unavailable, "cannot connect to redis at " + address() + ": " + why);
  pollfd wake{wake_fd_, POLLIN, 0};
  ::poll(&wake, 1, static_cast<int>(backoff_.count()));
  drain_wake();
  backoff_ = std::min(backoff_ * 2, opts_.max_backoff);
}

// TCP and the transport over it; the set-up steps follow in the poll loop.
bool client::open_connection(std::deque<callback>& in_flight, std::string& out) {
  if (!factory_) {
    attempt_failed(factory_failure_);
    return false;
  }
  std::string why;
  socket_ = connect_with_timeout(opts_.host, opts_.port, opts_.connect_timeout, why);
  if (socket_ < 0) {
    attempt_failed(why);
    return false;
  }
  auto opened = factory_->open(socket_, opts_.host);
  if (!opened) {
    phase_ = phase::handshake;
    disconnect(in_flight, opened.error().message);
    return false;
  }
  transport_ = std::move(*opened);
  if (reader_)
    redisReaderFree(reader_);
  reader_ = redisReaderCreate();
  out.clear();
  phase_ = phase::handshake;
  waiting_ = io_step::state::done;
  read_waits_for_write_ = write_waits_for_read_ = false;
  setup_deadline_ = std::chrono::steady_clock::now() + opts_.connect_timeout;
  return true;
}

// Runs the handshake as far as the socket allows; once it is done, AUTH
// (or, with TLS and no password, PING) goes out first, alone, and is
// answered before anything queued is sent.
void client::step_handshake(std::deque<callback>& in_flight, std::string& out) {
  auto step = transport_->handshake();
  if (step.outcome == io_step::state::failed || step.outcome == io_step::state::closed) {
    disconnect(in_flight, "TLS handshake failed: " + (step.outcome == io_step::state::closed
                                                          ? std::string{"closed by the server"}
                                                          : step.failure));
    return;
  }
  waiting_ = step.outcome;
  if (step.outcome != io_step::state::done)
    return;
  const auto& security = opts_.security;
  if (security.password.empty() && !security.tls) {
    phase_ = phase::ready;
    return;
  }
  // With TLS and no password, a PING whose answer (any answer) shows that
  // the server accepted us: with TLS 1.3 a server that refuses the client's
  // certificate says so only after the client's handshake is done.
  std::vector<std::string> greeting{"PING"};
  if (!security.password.empty()) {
    greeting = {"AUTH"};
    if (!security.username.empty())
      greeting.push_back(security.username);
    greeting.push_back(security.password);
  }
  out = format_command(greeting);
  auth_refusal_.clear();
  greeted_ = false;
  in_flight.push_back([this, auth = !security.password.empty()](result<reply> answer) {
    if (answer && answer->is_error() && auth)
      auth_refusal_ = answer->text;
    else if (answer)
      greeted_ = true;
  });
  phase_ = phase::greeting;
}

void client::lost(std::deque<callback>& in_flight, const io_step& step) {
  std::string why = step.outcome == io_step::state::closed ? "closed by the server" : step.failure;
  if (phase_ == phase::greeting && opts_.security.tls)
    why = "closed by the server right after the TLS handshake (" + why +
          "); a server with tls-auth-clients yes does so when it does not trust the client's "
          "certificate (redis.tls_certificate, redis.tls_key)";
  disconnect(in_flight, why);
}

// Writes what is waiting and reads what came, each when the socket allows
// it (with TLS a read may wait for POLLOUT and a write for POLLIN).
void client::pump(short revents, std::deque<callback>& in_flight, std::string& out) {
  bool readable = revents & (POLLIN | POLLERR | POLLHUP);
  bool writable = revents & (POLLOUT | POLLERR | POLLHUP);
  if (!out.empty() && (write_waits_for_read_ ? readable : writable)) {
    auto step = transport_->write(out.data(), out.size());
    write_waits_for_read_ = step.outcome == io_step::state::want_read;
    if (step.outcome == io_step::state::done)
      out.erase(0, step.bytes);
    else if (step.outcome == io_step::state::failed || step.outcome == io_step::state::closed) {
      lost(in_flight, step);
      return;
    }
  }
  if (!(read_waits_for_write_ ? writable : readable) && !transport_->buffered())
    return;
  read_waits_for_write_ = false;
  for (;;) { // until the socket and the TLS buffer are empty
    char buf[65536];
    auto step = transport_->read(buf, sizeof(buf));
    if (step.outcome == io_step::state::done) {
      redisReaderFeed(reader_, buf, step.bytes);
      continue;
    }
    if (step.outcome == io_step::state::closed || step.outcome == io_step::state::failed) {
      read_replies(in_flight); // what came before the end is still an answer
      if (socket_ >= 0)
        lost(in_flight, step);
      return;
    }
    read_waits_for_write_ = step.outcome == io_step::state::want_write;
    break;
  }
  read_replies(in_flight);
}

void client::read_replies(std::deque<callback>& in_flight) {
  void* raw = nullptr;
  while (!in_flight.empty()) {
    if (redisReaderGetReply(reader_, &raw) != REDIS_OK) {
      disconnect(in_flight, "malformed reply");
      return;
    }
    if (!raw)
      break;
    auto done = std::move(in_flight.front());
    in_flight.pop_front();
    auto answer = from_hiredis(*static_cast<redisReply*>(raw));
    freeReplyObject(raw);
    done(std::move(answer));
  }
  if (phase_ != phase::greeting)
    return;
  if (!auth_refusal_.empty())
    disconnect(in_flight, "AUTH refused: " + auth_refusal_);
  else if (greeted_)
    phase_ = phase::ready;
}

void client::run() {
  std::deque<callback> in_flight;
  std::string out;
  while (!stopping_) {
    if (socket_ < 0 && !open_connection(in_flight, out))
      continue;
    if (phase_ == phase::handshake)
      step_handshake(in_flight, out);
    if (socket_ < 0)
      continue;
    if (phase_ == phase::ready && !connected_) {
      connected_ = true;
      backoff_ = std::chrono::milliseconds{10};
    }
    if (phase_ != phase::ready && std::chrono::steady_clock::now() > setup_deadline_) {
      disconnect(in_flight, phase_ == phase::handshake ? "no TLS handshake within the connect "
                                                         "timeout"
                                                       : "no answer to AUTH or PING within the "
                                                         "connect timeout");
      continue;
    }
    if (phase_ == phase::ready) {
      std::lock_guard guard{mutex_};
      for (auto& item : queue_) {
        out += item.wire;
        in_flight.push_back(std::move(item.done));
      }
      queue_.clear();
    }
    short events = POLLIN;
    if (phase_ == phase::handshake)
      events = waiting_ == io_step::state::want_write ? POLLOUT : POLLIN;
    else if ((!out.empty() && !write_waits_for_read_) || read_waits_for_write_)
      events |= POLLOUT;
    pollfd fds[2] = {{socket_, events, 0}, {wake_fd_, POLLIN, 0}};
    if (::poll(fds, 2, transport_->buffered() ? 0 : 200) < 0 && errno != EINTR)
      break;
    if (fds[1].revents & POLLIN)
      drain_wake();
    if (phase_ != phase::handshake)
      pump(fds[0].revents, in_flight, out);
  }
  if (socket_ >= 0) {
    transport_.reset();
    ::close(socket_);
  }
  socket_ = -1;
  connected_ = false;
  if (reader_)
    redisReaderFree(reader_);
  for (auto& done : in_flight)
    done(error{errc::shutting_down, "redis client for " + address() + " stopped"});
  fail_queued(errc::shutting_down, "redis client for " + address() + " stopped");
}

} // namespace dref::redis
