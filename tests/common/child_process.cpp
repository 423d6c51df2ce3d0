#include "child_process.hpp"

#include <arpa/inet.h>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <mutex>
#include <netinet/in.h>
#include <random>
#include <stdexcept>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace dref::test {

namespace {

bool can_listen_on(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

} // namespace

// Ports come from below the kernel's ephemeral range (32768 and up by
// default), so that no outgoing connection of a parallel test takes one as
// its local port between this check and the server's bind. A port handed
// out stays this process's until it exits: an flock on a file named after
// it keeps this process and parallel test processes from picking it again,
// also between this check and a server's bind (two redis-servers would not
// both bind it, but the test whose server failed would talk to the other
// test's).
std::uint16_t free_loopback_port() {
  static std::mutex mutex;
  static std::mt19937 pick{std::random_device{}() ^ static_cast<unsigned>(::getpid())};
  std::lock_guard guard{mutex};
  auto lock_dir = std::filesystem::temp_directory_path() / "dref-test-ports";
  std::error_code ec;
  std::filesystem::create_directories(lock_dir, ec);
  for (int attempt = 0; attempt < 2000; ++attempt) {
    // Even ports only, so that the one above each (a raft member's member
    // port, config::member_port_of) is never handed out by itself.
    auto port = static_cast<std::uint16_t>(20000 + 2 * (pick() % 6000));
    auto lock_path = lock_dir / ("port-" + std::to_string(port));
    int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0 || ::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      if (fd >= 0)
        ::close(fd);
      continue; // handed out already, by this process or another
    }
    if (!can_listen_on(port) || !can_listen_on(port + 1)) {
      ::close(fd);
      continue;
    }
    return port; // fd stays open, and the lock held, until exit
  }
  throw std::runtime_error("cannot find a free loopback port in 20000-31999");
}

int dial_loopback(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool wait_until_listening(std::uint16_t port, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int fd = dial_loopback(port);
    if (fd >= 0) {
      ::close(fd);
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  return false;
}

child_process::child_process(std::vector<std::string> argv, std::string log_path) {
  pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0)
    throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) // the parent died before prctl took effect
      ::_exit(127);
    int out = ::open(log_path.empty() ? "/dev/null" : log_path.c_str(),
                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (out >= 0) {
      ::dup2(out, STDOUT_FILENO);
      ::dup2(out, STDERR_FILENO);
    }
    std::vector<char*> args;
    for (auto& arg : argv)
      args.push_back(arg.data());
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
}

child_process::~child_process() {
  stop(std::chrono::seconds{5});
}

bool child_process::running() {
  if (pid_ <= 0)
    return false;
  if (::waitpid(pid_, &status_, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

void child_process::kill_hard() {
  if (pid_ <= 0)
    return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status_, 0);
  pid_ = -1;
}

int child_process::stop(std::chrono::milliseconds grace) {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + grace;
    while (running() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds{5});
    if (pid_ > 0)
      kill_hard();
  }
  return status_;
}

} // namespace dref::test
