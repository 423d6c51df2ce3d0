#pragma once
// Drives a store with proposals at growing log indexes and leader times,
// and checks that a failing command changes nothing.

#include "dref/store/store.hpp"

#include <boost/test/unit_test.hpp>

namespace dref::test {

struct store_fixture {
  store::store s;
  std::uint64_t index = 0;
  std::uint64_t now = 1'000;

  explicit store_fixture(store::limits lim = {})
      : s(lim) {}

  store::apply_outcome run(protocol::store_command command) {
    return s.apply(++index, protocol::store_proposal{0, 0, 0, now, std::move(command)});
  }

  template <class Result>
  Result ok(protocol::store_command command) {
    auto out = run(std::move(command));
    if (out.reply.error)
      BOOST_FAIL("unexpected error: " << out.reply.error->to_string());
    BOOST_TEST_REQUIRE(std::holds_alternative<Result>(out.reply.value));
    return std::get<Result>(out.reply.value);
  }

  // The command fails with `code`, emits nothing and leaves the state as it
  // was (apart from the applied index).
  void fails(protocol::store_command command, errc code) {
    auto before = s.state();
    auto out = run(std::move(command));
    BOOST_TEST_REQUIRE(out.reply.error.has_value());
    BOOST_TEST(to_string(out.reply.error->code) == to_string(code));
    BOOST_TEST(!out.reply.error->message.empty());
    BOOST_TEST(out.events.empty());
    auto after = s.state();
    before.applied = after.applied;
    before.now_ms = after.now_ms;
    BOOST_TEST((before == after));
  }

  std::string value(const std::string& id) { return s.get(id).value().value; }
};

} // namespace dref::test
