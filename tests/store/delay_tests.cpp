// Promises (delivered once) and delays (run by one live session at a
// time; asked for by gets without a body; unclaimed again when the body
// fails).

#include "store_fixture.hpp"

#include <boost/test/unit_test.hpp>

using namespace dref;
using namespace dref::protocol;
using dref::test::store_fixture;

BOOST_AUTO_TEST_SUITE(promises_and_delays)

BOOST_FIXTURE_TEST_CASE(promise_delivers_once, store_fixture) {
  BOOST_TEST(!s.promise("p").delivered);
  auto first = ok<res_delivered>(cmd_promise_deliver{"p", "42"});
  BOOST_TEST(first.first);
  auto second = run(cmd_promise_deliver{"p", "43"});
  BOOST_TEST(!std::get<res_delivered>(second.reply.value).first);
  BOOST_TEST(std::get<res_delivered>(second.reply.value).value == "42");
  BOOST_TEST(second.events.empty());
  BOOST_TEST(s.promise("p").value == "42");
}

BOOST_FIXTURE_TEST_CASE(delay_runs_once_and_passes_on_expiry, store_fixture) {
  ok<res_session>(cmd_session_open{"a", 1'000});
  ok<res_session>(cmd_session_open{"b", 60'000});
  BOOST_TEST((ok<res_delay>(cmd_delay_claim{"d", "a"}).state == delay_claim_state::run_body));
  auto other = ok<res_delay>(cmd_delay_claim{"d", "b"});
  BOOST_TEST((other.state == delay_claim_state::running));
  BOOST_TEST(other.runner == "a");
  fails(cmd_delay_complete{"d", "b", "x"}, errc::not_holder);
  now += 2'000; // a's session lapses before it completes
  ok<res_done>(cmd_expire_due{});
  BOOST_TEST(!s.delay("d").claimed);
  BOOST_TEST((ok<res_delay>(cmd_delay_claim{"d", "b"}).state == delay_claim_state::run_body));
  ok<res_written>(cmd_delay_complete{"d", "b", "result"});
  auto done = ok<res_delay>(cmd_delay_claim{"d", "b"});
  BOOST_TEST((done.state == delay_claim_state::completed));
  BOOST_TEST(done.value == "result");
  fails(cmd_delay_complete{"d", "b", "again"}, errc::already_delivered);
  fails(cmd_delay_claim{"e", "gone"}, errc::unknown_session);
}

BOOST_FIXTURE_TEST_CASE(a_request_asks_for_a_run_only_while_nobody_runs_it, store_fixture) {
  auto asked = run(cmd_delay_request{"d"});
  BOOST_TEST_REQUIRE(!asked.reply.error);
  BOOST_TEST((std::get<res_delay>(asked.reply.value).state == delay_claim_state::requested));
  BOOST_TEST_REQUIRE(asked.events.size() == 1u);
  BOOST_TEST((asked.events[0].kind == event_kind::delay_requested));
  BOOST_TEST(asked.events[0].id == "d");
  BOOST_TEST(!s.delay("d").claimed); // a request claims nothing
  ok<res_session>(cmd_session_open{"a", 60'000});
  ok<res_delay>(cmd_delay_claim{"d", "a"});
  auto running = run(cmd_delay_request{"d"});
  BOOST_TEST((std::get<res_delay>(running.reply.value).state == delay_claim_state::running));
  BOOST_TEST(std::get<res_delay>(running.reply.value).runner == "a");
  BOOST_TEST(running.events.empty());
  ok<res_written>(cmd_delay_complete{"d", "a", "v"});
  auto done = ok<res_delay>(cmd_delay_request{"d"});
  BOOST_TEST((done.state == delay_claim_state::completed));
  BOOST_TEST(done.value == "v");
  fails(cmd_delay_request{"bad id!"}, errc::invalid_id);
  fails(cmd_delay_request{"dref/d"}, errc::invalid_argument);
}

BOOST_FIXTURE_TEST_CASE(a_failed_body_tells_the_waiters_and_unclaims, store_fixture) {
  ok<res_session>(cmd_session_open{"a", 60'000});
  ok<res_session>(cmd_session_open{"b", 60'000});
  ok<res_delay>(cmd_delay_claim{"d", "a"});
  fails(cmd_delay_fail{"d", "b", "not mine"}, errc::not_holder);
  fails(cmd_delay_fail{"x", "a", "never claimed"}, errc::not_holder);
  fails(cmd_delay_fail{"d", "a", std::string(s.configured_limits().max_value_bytes + 1, 'm')},
        errc::value_too_large);
  auto failed = run(cmd_delay_fail{"d", "a", "division by zero"});
  BOOST_TEST_REQUIRE(!failed.reply.error);
  BOOST_TEST_REQUIRE(failed.events.size() == 1u);
  const auto& e = failed.events[0];
  BOOST_TEST((e.kind == event_kind::delay_failed));
  BOOST_TEST(e.session == "a");
  BOOST_TEST(e.payload == "division by zero");
  BOOST_TEST(!s.delay("d").claimed);
  BOOST_TEST(s.state().sessions.at("a").runs.empty()); // nothing left to release on expiry
  // Anyone may try again, the failed runner too.
  BOOST_TEST((ok<res_delay>(cmd_delay_claim{"d", "b"}).state == delay_claim_state::run_body));
  ok<res_written>(cmd_delay_complete{"d", "b", "ok"});
  fails(cmd_delay_fail{"d", "b", "late"}, errc::already_delivered);
}

BOOST_AUTO_TEST_SUITE_END()
