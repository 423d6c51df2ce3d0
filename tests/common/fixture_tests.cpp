// The fixtures themselves: a server they start answers, and is gone after.
#include "redis_server.hpp"

#include <boost/test/unit_test.hpp>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <hiredis/hiredis.h>
#include <sys/file.h>
#include <unistd.h>

using namespace dref::test;

namespace {

std::string ping(std::uint16_t port) {
  redisContext* ctx = redisConnectWithTimeout("127.0.0.1", port, timeval{1, 0});
  if (!ctx || ctx->err) {
    if (ctx)
      redisFree(ctx);
    return "unreachable";
  }
  auto* reply = static_cast<redisReply*>(redisCommand(ctx, "PING"));
  std::string answer = reply && reply->type == REDIS_REPLY_STATUS ? reply->str : "no reply";
  if (reply)
    freeReplyObject(reply);
  redisFree(ctx);
  return answer;
}

} // namespace

BOOST_AUTO_TEST_SUITE(fixtures)

BOOST_AUTO_TEST_CASE(child_process_stops_on_scope_exit) {
  pid_t pid = 0;
  {
    child_process sleeper{{"sleep", "60"}};
    pid = sleeper.pid();
    BOOST_TEST(sleeper.running());
  }
  BOOST_TEST(::kill(pid, 0) != 0); // reaped and gone
}

BOOST_AUTO_TEST_CASE(redis_server_runs_on_its_own_port_and_stops) {
  std::uint16_t port = 0;
  {
    redis_server server;
    port = server.port();
    BOOST_TEST(ping(port) == "PONG");
    server.kill_hard();
    BOOST_TEST(ping(port) == "unreachable");
    server.restart();
    BOOST_TEST(ping(port) == "PONG");
  }
  BOOST_TEST(ping(port) == "unreachable");
}

// Parallel test processes cannot pick the same port: the process that
// handed it out holds the lock that any other would need (flock conflicts
// between open file descriptions, so a second open here stands in for
// another process).
BOOST_AUTO_TEST_CASE(a_handed_out_port_stays_locked_for_this_process) {
  auto port = free_loopback_port();
  auto path =
      std::filesystem::temp_directory_path() / "dref-test-ports" / ("port-" + std::to_string(port));
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  BOOST_TEST_REQUIRE(fd >= 0);
  int locked = ::flock(fd, LOCK_EX | LOCK_NB);
  int why = errno;
  ::close(fd);
  BOOST_TEST(locked != 0);
  BOOST_TEST(why == EWOULDBLOCK);
  BOOST_TEST(free_loopback_port() != port);
}

BOOST_AUTO_TEST_SUITE_END()
