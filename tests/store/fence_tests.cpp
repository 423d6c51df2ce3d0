// Fenced writes (cmd_fenced): the write commits only while its lock is held
// under its token, in the same apply; otherwise not_holder and no change.
#include "dref/store/delta.hpp"
#include "store_fixture.hpp"

#include <boost/test/unit_test.hpp>

using namespace dref;
using namespace dref::protocol;
using dref::test::store_fixture;

namespace {

struct fenced_fixture : store_fixture {
  std::uint64_t token = 0;

  fenced_fixture() {
    ok<res_session>(cmd_session_open{"a", 10'000});
    ok<res_session>(cmd_session_open{"b", 10'000});
    token = ok<res_lock>(cmd_lock_acquire{"L", "a", "o", true}).token;
    ok<res_written>(cmd_set{"x", "before"});
  }

  cmd_fenced fenced(fenced_write write, std::uint64_t with) {
    return cmd_fenced{write_fence{"L", with}, std::move(write)};
  }

  // Every kind of fenced write with `with` fails with not_holder, and x
  // stays as it was.
  void all_refused(std::uint64_t with) {
    auto version = s.get("x").value().version;
    fails(fenced(cmd_set{"x", "late"}, with), errc::not_holder);
    fails(fenced(cmd_cas{"x", version, "late"}, with), errc::not_holder);
    fails(fenced(cmd_patch{"x", version, store::encode_delta("before", "late")}, with),
          errc::not_holder);
    fails(fenced(cmd_remove{"x"}, with), errc::not_holder);
    fails(fenced(cmd_set{"new", "late"}, with), errc::not_holder);
    BOOST_TEST(value("x") == "before");
    BOOST_TEST(s.get("x").value().version == version);
    BOOST_TEST(!s.get("new"));
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(fenced_writes)

BOOST_FIXTURE_TEST_CASE(current_token_commits_every_kind_of_write, fenced_fixture) {
  auto set = ok<res_written>(fenced(cmd_set{"x", "one"}, token));
  BOOST_TEST(set.version == index);
  BOOST_TEST(value("x") == "one");
  ok<res_written>(fenced(cmd_cas{"x", set.version, "two"}, token));
  BOOST_TEST(value("x") == "two");
  auto version = s.get("x").value().version;
  ok<res_written>(fenced(cmd_patch{"x", version, store::encode_delta("two", "three")}, token));
  BOOST_TEST(value("x") == "three");
  auto out = run(fenced(cmd_remove{"x"}, token));
  BOOST_TEST_REQUIRE(!out.reply.error);
  BOOST_TEST(std::get<res_removed>(out.reply.value).existed);
  BOOST_TEST_REQUIRE(out.events.size() == 1u); // the write's events, as unfenced
  BOOST_TEST((out.events[0].kind == event_kind::value_removed));
  BOOST_TEST(!s.get("x"));
  // A reentrant acquire keeps the grant, so its token still fences.
  BOOST_TEST(ok<res_lock>(cmd_lock_acquire{"L", "a", "o", true}).token == token);
  ok<res_written>(fenced(cmd_set{"x", "again"}, token));
}

BOOST_FIXTURE_TEST_CASE(the_write_own_checks_still_apply, fenced_fixture) {
  fails(fenced(cmd_cas{"x", 999, "v"}, token), errc::version_conflict);
  fails(fenced(cmd_set{"bad id", "v"}, token), errc::invalid_id);
  fails(cmd_fenced{write_fence{"bad lock", token}, cmd_set{"x", "v"}}, errc::invalid_id);
  fails(cmd_fenced{write_fence{"dref/L", token}, cmd_set{"x", "v"}}, errc::invalid_argument);
  BOOST_TEST(value("x") == "before");
}

BOOST_FIXTURE_TEST_CASE(a_wrong_token_is_refused_while_held, fenced_fixture) {
  all_refused(token + 1);
  all_refused(token - 1);
  all_refused(0);
  auto out = run(fenced(cmd_set{"x", "late"}, token + 1));
  BOOST_TEST_REQUIRE(out.reply.error.has_value());
  auto& message = out.reply.error->message;
  BOOST_TEST(message.find("'L'") != std::string::npos);
  BOOST_TEST(message.find(std::to_string(token)) != std::string::npos);
  BOOST_TEST(message.find(std::to_string(token + 1)) != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(after_release_the_token_is_refused, fenced_fixture) {
  ok<res_released>(cmd_lock_release{"L", "a", "o", token});
  all_refused(token);
  all_refused(0); // a free lock has no token, not token 0
  auto out = run(fenced(cmd_set{"x", "late"}, token));
  BOOST_TEST_REQUIRE(out.reply.error.has_value());
  BOOST_TEST(out.reply.error->message.find("not held") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(after_another_grant_the_old_token_is_refused, fenced_fixture) {
  ok<res_lock>(cmd_lock_acquire{"L", "b", "o", true}); // queued
  ok<res_released>(cmd_lock_release{"L", "a", "o", token});
  auto next = s.lock("L");
  BOOST_TEST_REQUIRE(next.session == "b");
  BOOST_TEST(next.token > token); // fencing tokens strictly grow
  all_refused(token);
  ok<res_written>(fenced(cmd_set{"x", "new holder"}, next.token));
  BOOST_TEST(value("x") == "new holder");
}

BOOST_FIXTURE_TEST_CASE(a_lapsed_holder_is_refused_in_the_same_apply, fenced_fixture) {
  now += 10'000; // a's session is due: the apply expires it before the write
  auto out = run(fenced(cmd_set{"x", "late"}, token));
  BOOST_TEST_REQUIRE(out.reply.error.has_value());
  BOOST_TEST(to_string(out.reply.error->code) == "not_holder");
  BOOST_TEST(!s.lock("L").held);
  for (const auto& e : out.events) // the expiry's events only
    BOOST_TEST((e.kind != event_kind::value_written && e.kind != event_kind::value_created));
  BOOST_TEST(value("x") == "before");
  all_refused(token);
}

BOOST_FIXTURE_TEST_CASE(a_fence_of_another_lock_is_refused, fenced_fixture) {
  ok<res_lock>(cmd_lock_acquire{"M", "b", "o", true});
  fails(cmd_fenced{write_fence{"M", token}, cmd_set{"x", "v"}}, errc::not_holder);
  fails(cmd_fenced{write_fence{"nobody-locked", token}, cmd_set{"x", "v"}}, errc::not_holder);
}

BOOST_AUTO_TEST_SUITE_END()
