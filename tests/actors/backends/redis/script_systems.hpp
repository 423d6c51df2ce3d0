#pragma once
// The two systems the script tests compare: dref's store, and the store as
// a real redis-server runs it (library or script), behind one interface.
#include "dref/store/input_checks.hpp"
#include "dref/store/store.hpp"
#include "redis/store_replies.hpp"
#include "redis/store_script.hpp"
#include "redis_test_client.hpp"

#include <chrono>
#include <map>
#include <string>
#include <tuple>

namespace dref::test {

using namespace dref::protocol;

// What a step of the sequence may depend on: tokens differ between the two.
using token_key = std::tuple<std::string, std::string, std::string>; // lock, session, owner

struct system_under_test {
  std::map<token_key, std::uint64_t> tokens;
  virtual ~system_under_test() = default;
  virtual store_reply propose(const store_proposal& p) = 0;
  virtual store_read_reply read(const store_read& r) = 0;

  store_reply run(const store_proposal& p) {
    auto reply = propose(p);
    if (const auto* lock = std::get_if<res_lock>(&reply.value);
        lock && lock->granted && !reply.error)
      if (const auto* acquire = std::get_if<cmd_lock_acquire>(&p.command))
        tokens[{acquire->lock, acquire->session, acquire->owner}] = lock->token;
    return reply;
  }
};

struct store_system : system_under_test {
  explicit store_system(store::limits lim = {})
      : s{lim} {}
  store::store s;
  std::uint64_t index = 0;
  store_reply propose(const store_proposal& p) override {
    auto stamped = p;
    stamped.leader_time_ms = 1'000'000 + index;
    return s.apply(++index, stamped).reply;
  }
  store_read_reply read(const store_read& r) override { return s.read(r); }
};

// The store as Redis runs it: as a function library (Redis 7), or as the
// script older servers get.
struct redis_system : system_under_test {
  explicit redis_system(bool as_script = false)
      : as_script(as_script) {}
  test::redis_server server;
  redis::client client{test::client_options(server)};
  redis::store_keys keys{"diff:", 1000, {}};
  bool as_script;
  redis::function_caller library = redis::store_caller(client);

  result<redis::reply> call(std::vector<std::string> args, bool read_only = false) {
    if (as_script)
      return redis::call(client, redis::store_script(), redis::script_keys(keys), std::move(args));
    return redis::await_reply(
        [&](redis::client::callback done) {
          library.run(redis::script_keys(keys), std::move(args), std::move(done), read_only);
        },
        std::chrono::seconds{5}, "no answer from the store library");
  }

  store_reply propose(const store_proposal& p) override {
    if (auto ok = store::check_input(p.command, keys.limits); !ok) { // as the backend does
      store_reply refused;
      refused.error = ok.error();
      return refused;
    }
    return redis::command_reply(call(redis::proposal_args(keys, p)), p.command);
  }
  store_read_reply read(const store_read& r) override {
    if (auto ok = store::check_read(r, keys.limits); !ok) { // as the backend does
      store_read_reply refused;
      refused.error = ok.error();
      return refused;
    }
    return redis::read_reply(call(redis::read_args(keys, r), true), r);
  }
};

} // namespace dref::test
