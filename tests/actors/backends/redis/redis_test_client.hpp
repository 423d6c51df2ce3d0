#pragma once
// What the redis tests share: a client for a test's redis-server, and
// unwrapping an answer that must have come.

#include "redis/client.hpp"
#include "redis_server.hpp"

#include <boost/test/unit_test.hpp>
#include <chrono>

namespace dref::test {

inline redis::client::options client_options(const redis_server& server) {
  redis::client::options opts;
  opts.port = server.port();
  opts.max_backoff = std::chrono::milliseconds{50};
  return opts;
}

inline redis::reply must(result<redis::reply> answer) {
  if (!answer)
    BOOST_FAIL("redis call failed: " << answer.error().to_string());
  return std::move(*answer);
}

} // namespace dref::test
