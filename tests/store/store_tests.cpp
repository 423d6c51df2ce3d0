#include "dref/store/delta.hpp"
#include "dref/store/input_checks.hpp"
#include "dref/store/reply_cache.hpp"
#include "store_fixture.hpp"

#include <boost/test/unit_test.hpp>

using namespace dref;
using namespace dref::protocol;
using dref::test::store_fixture;

namespace {
std::string i64(std::int64_t v) {
  return store::encode_i64(v);
}
} // namespace

BOOST_AUTO_TEST_SUITE(values)

BOOST_FIXTURE_TEST_CASE(create_if_absent_never_overwrites, store_fixture) {
  auto first = ok<res_created>(cmd_create_if_absent{"a", "one", {{"owner", "me"}}});
  BOOST_TEST(first.created);
  BOOST_TEST(first.version == index);
  auto second = ok<res_created>(cmd_create_if_absent{"a", "two", {}});
  BOOST_TEST(!second.created);
  BOOST_TEST(second.version == first.version);
  BOOST_TEST(second.value == "one");
  auto state = s.get("a").value();
  BOOST_TEST(state.value == "one");
  BOOST_TEST(state.metadata.at("owner") == "me");
}

BOOST_FIXTURE_TEST_CASE(versions_are_log_indexes_and_only_grow, store_fixture) {
  auto v1 = ok<res_written>(cmd_set{"a", "1"}).version;
  index += 10; // the log may carry other entries in between
  auto v2 = ok<res_written>(cmd_set{"a", "2"}).version;
  BOOST_TEST(v1 == 1u);
  BOOST_TEST(v2 == 12u);
  BOOST_TEST(s.get("a").value().version == v2);
}

BOOST_FIXTURE_TEST_CASE(get_missing_is_not_found, store_fixture) {
  auto missing = s.get("nope");
  BOOST_TEST_REQUIRE(!missing.has_value());
  BOOST_TEST(to_string(missing.error().code) == "not_found");
}

BOOST_FIXTURE_TEST_CASE(reading_a_malformed_id_is_invalid_id_not_missing, store_fixture) {
  for (auto kind : {read_kind::value, read_kind::lock, read_kind::topic, read_kind::promise}) {
    auto reply = s.read(store_read{kind, "a b", 0, 0});
    BOOST_REQUIRE(reply.error.has_value());
    BOOST_TEST((reply.error->code == errc::invalid_id));
  }
  auto reply = s.read(store_read{read_kind::value, "missing", 0, 0});
  BOOST_REQUIRE(reply.error.has_value());
  BOOST_TEST((reply.error->code == errc::not_found));
}

// dref's own records (the member directory) live under "dref/": no client
// command writes there, whatever its kind; the member directory's own
// command does, for a well-formed address only.
BOOST_FIXTURE_TEST_CASE(the_reserved_prefix_is_refused_to_client_commands, store_fixture) {
  ok<res_session>(cmd_session_open{"s", 5000});
  fails(cmd_create_if_absent{"dref/members/x", "1.2.3.4:http", {}}, errc::invalid_argument);
  fails(cmd_set{"dref/members/x", "1.2.3.4:http"}, errc::invalid_argument);
  fails(cmd_cas{"dref/members/x", 0, "127.0.0.1:1"}, errc::invalid_argument);
  fails(cmd_remove{"dref/members/x"}, errc::invalid_argument);
  fails(cmd_set{"dref/anything", "x"}, errc::invalid_argument);
  fails(cmd_lock_acquire{"dref/l", "s", "o", false}, errc::invalid_argument);
  fails(cmd_publish{"dref/t", "m"}, errc::invalid_argument);
  fails(cmd_promise_deliver{"dref/p", "v"}, errc::invalid_argument);
  fails(cmd_delay_claim{"dref/d", "s"}, errc::invalid_argument);
  ok<res_written>(cmd_set{"drefs-are-fine", "x"}); // only the prefix itself is reserved
}

BOOST_FIXTURE_TEST_CASE(a_member_announces_a_well_formed_address_only, store_fixture) {
  for (auto bad :
       {"1.2.3.4:http", "nohost", ":8082", "h:0", "h:65536", "h:80x", "a b:1", "h:123456"})
    fails(cmd_member_announce{"node-2", bad}, errc::invalid_argument);
  fails(cmd_member_announce{"bad name", "127.0.0.1:8082"}, errc::invalid_id);
  ok<res_written>(cmd_member_announce{"node-2", "127.0.0.1:8082"});
  ok<res_written>(cmd_member_announce{"node-3", "[::1]:8083"});
  BOOST_TEST(value("dref/members/node-2") == "127.0.0.1:8082");
  BOOST_TEST(value("dref/members/node-3") == "[::1]:8083");
  BOOST_TEST(store::internal_only(cmd_member_announce{"node-2", "127.0.0.1:8082"}));
  BOOST_TEST(!store::internal_only(cmd_set{"x", "y"}));
}

BOOST_FIXTURE_TEST_CASE(cas_succeeds_only_at_expected_version, store_fixture) {
  auto v = ok<res_written>(cmd_cas{"a", 0, "first"}).version; // 0: only when absent
  fails(cmd_cas{"a", 0, "again"}, errc::version_conflict);
  fails(cmd_cas{"a", v + 5, "x"}, errc::version_conflict);
  fails(cmd_cas{"b", 3, "x"}, errc::not_found);
  auto v2 = ok<res_written>(cmd_cas{"a", v, "second"}).version;
  BOOST_TEST(v2 > v);
  BOOST_TEST(value("a") == "second");
}

BOOST_FIXTURE_TEST_CASE(patch_applies_a_delta_at_the_expected_version, store_fixture) {
  std::string base(10'000, 'x');
  auto v = ok<res_written>(cmd_set{"big", base}).version;
  std::string changed = base;
  changed[5'000] = 'y';
  auto delta = store::encode_delta(base, changed);
  fails(cmd_patch{"big", v + 1, delta}, errc::version_conflict);
  fails(cmd_patch{"big", v, "garbage"}, errc::decode_failed);
  fails(cmd_patch{"other", v, delta}, errc::not_found);
  auto out = run(cmd_patch{"big", v, delta});
  BOOST_TEST_REQUIRE(!out.reply.error);
  BOOST_TEST(value("big") == changed);
  BOOST_TEST_REQUIRE(out.events.size() == 1u);
  BOOST_TEST((out.events[0].payload_type == payload_kind::delta));
  BOOST_TEST(out.events[0].payload == delta);
  // The delta was made against the old value: replaying it now is refused.
  fails(cmd_patch{"big", s.get("big").value().version, delta}, errc::decode_failed);
}

BOOST_FIXTURE_TEST_CASE(remove_reports_whether_it_existed, store_fixture) {
  ok<res_written>(cmd_set{"a", "v"});
  auto removed = ok<res_removed>(cmd_remove{"a"});
  BOOST_TEST(removed.existed);
  BOOST_TEST(!s.get("a").has_value());
  BOOST_TEST(!ok<res_removed>(cmd_remove{"a"}).existed);
  // Re-created after removal: the version still grows.
  auto v = ok<res_written>(cmd_set{"a", "w"}).version;
  BOOST_TEST(v > removed.old_version);
}

BOOST_FIXTURE_TEST_CASE(metadata_replaces_and_bumps_version, store_fixture) {
  auto v = ok<res_written>(cmd_set{"a", "v"}).version;
  fails(cmd_set_metadata{"missing", {{"k", "v"}}}, errc::not_found);
  fails(cmd_set_metadata{"a", {{"", "v"}}}, errc::invalid_argument);
  fails(cmd_set_metadata{"a", {{"k", std::string(70'000, 'm')}}}, errc::value_too_large);
  auto v2 = ok<res_written>(cmd_set_metadata{"a", {{"k", "v"}}}).version;
  BOOST_TEST(v2 > v);
  BOOST_TEST(s.get("a").value().metadata.at("k") == "v");
  BOOST_TEST(value("a") == "v");
}

BOOST_FIXTURE_TEST_CASE(named_add_i64, store_fixture) {
  auto first = ok<res_ran>(cmd_run{"n", "add_i64", i64(5)});
  BOOST_TEST(store::decode_i64(first.value, "v").value() == 5);
  auto second = ok<res_ran>(cmd_run{"n", "add_i64", i64(-7)});
  BOOST_TEST(store::decode_i64(second.value, "v").value() == -2);
  BOOST_TEST(store::decode_i64(value("n"), "v").value() == -2);
  fails(cmd_run{"n", "no_such_command", i64(1)}, errc::unknown_command);
  fails(cmd_run{"n", "add_i64", "abc"}, errc::wrong_type);
  ok<res_written>(cmd_set{"s", "not a number"});
  fails(cmd_run{"s", "add_i64", i64(1)}, errc::wrong_type);
  ok<res_written>(cmd_set{"max", i64(INT64_MAX)});
  fails(cmd_run{"max", "add_i64", i64(1)}, errc::invalid_argument);
}

BOOST_FIXTURE_TEST_CASE(custom_named_command, store_fixture) {
  auto registry = std::make_shared<store::command_registry>();
  BOOST_TEST(registry
                 ->add("append", "1",
                       [](const std::optional<std::string_view>& cur,
                          std::string_view args) -> result<store::command_outcome> {
                         auto next = std::string{cur.value_or("")} + std::string{args};
                         return store::command_outcome{next, next};
                       })
                 .has_value());
  BOOST_TEST(!registry->add("append", "2", nullptr).has_value());
  store::store custom{{}, registry};
  auto out = custom.apply(1, store_proposal{0, 0, 0, 0, cmd_run{"x", "append", "ab"}});
  out = custom.apply(2, store_proposal{0, 0, 0, 0, cmd_run{"x", "append", "cd"}});
  BOOST_TEST(custom.get("x").value().value == "abcd");
  // add_i64 is not in this registry.
  out = custom.apply(3, store_proposal{0, 0, 0, 0, cmd_run{"x", "add_i64", i64(1)}});
  BOOST_TEST_REQUIRE(out.reply.error.has_value());
  BOOST_TEST(to_string(out.reply.error->code) == "unknown_command");
}

BOOST_AUTO_TEST_CASE(limits_are_typed_errors) {
  store::limits lim;
  lim.max_id_length = 8;
  lim.max_value_bytes = 16;
  store_fixture f{lim};
  f.fails(cmd_set{"", "v"}, errc::invalid_id);
  f.fails(cmd_set{"123456789", "v"}, errc::invalid_id);
  f.fails(cmd_set{"a b", "v"}, errc::invalid_id);
  f.fails(cmd_set{"a\nb", "v"}, errc::invalid_id);
  f.fails(cmd_set{"a", std::string(17, 'v')}, errc::value_too_large);
  f.fails(cmd_create_if_absent{"a", std::string(17, 'v'), {}}, errc::value_too_large);
  f.fails(cmd_publish{"t", std::string(17, 'v')}, errc::value_too_large);
  f.fails(cmd_promise_deliver{"p", std::string(17, 'v')}, errc::value_too_large);
  f.ok<res_written>(cmd_set{"A-z0.9_:", "v"});
  f.ok<res_written>(cmd_set{"x/@-", std::string(16, 'v')});
  auto err = store::check_id("bad id!", lim, "ref id");
  BOOST_TEST_REQUIRE(!err.has_value());
  BOOST_TEST(err.error().message.find("position 3") != std::string::npos);
}

// Members compare limits by name when they connect: the cache's bounds
// decide replies too, so they are among them.
BOOST_AUTO_TEST_CASE(the_retry_cache_bounds_are_compared_by_name) {
  store::limits ours, theirs;
  theirs.max_cached_reply_bytes = ours.max_cached_reply_bytes + 1;
  BOOST_TEST((store::by_name(ours) != store::by_name(theirs)));
  theirs = ours;
  theirs.max_cached_reply_bytes_per_client = ours.max_cached_reply_bytes_per_client + 1;
  BOOST_TEST((store::by_name(ours) != store::by_name(theirs)));
}

BOOST_FIXTURE_TEST_CASE(change_events_carry_old_and_new, store_fixture) {
  auto created = run(cmd_create_if_absent{"a", "1", {}});
  BOOST_TEST_REQUIRE(created.events.size() == 1u);
  BOOST_TEST((created.events[0].kind == event_kind::value_created));
  BOOST_TEST(created.events[0].payload == "1");
  BOOST_TEST(created.events[0].old_version == 0u);
  auto set = run(cmd_set{"a", "2"});
  BOOST_TEST_REQUIRE(set.events.size() == 1u);
  const auto& e = set.events[0];
  BOOST_TEST((e.kind == event_kind::value_written));
  BOOST_TEST(e.old_version == created.events[0].new_version);
  BOOST_TEST(e.new_version == index);
  BOOST_TEST(e.old_value.value() == "1");
  BOOST_TEST((e.payload_type == payload_kind::full));
  BOOST_TEST(e.payload == "2");
  BOOST_TEST(run(cmd_create_if_absent{"a", "3", {}}).events.empty()); // joined: no effect
  auto removed = run(cmd_remove{"a"});
  BOOST_TEST_REQUIRE(removed.events.size() == 1u);
  BOOST_TEST((removed.events[0].kind == event_kind::value_removed));
  BOOST_TEST(removed.events[0].old_value.value() == "2");
}

BOOST_FIXTURE_TEST_CASE(large_value_events_ship_a_delta, store_fixture) {
  std::string big(100'000, 'a');
  for (std::size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<char>('a' + (i * 7919) % 26);
  ok<res_written>(cmd_set{"big", big});
  std::string changed = big;
  changed.replace(50'000, 8, "CHANGED!");
  auto out = run(cmd_set{"big", changed});
  BOOST_TEST_REQUIRE(out.events.size() == 1u);
  const auto& e = out.events[0];
  BOOST_TEST_REQUIRE((e.payload_type == payload_kind::delta));
  BOOST_TEST(e.payload.size() < 200u);
  BOOST_TEST(store::apply_delta(e.old_value.value(), e.payload, 1 << 20).value() == changed);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(sessions)

BOOST_FIXTURE_TEST_CASE(open_keepalive_close, store_fixture) {
  auto opened = ok<res_session>(cmd_session_open{"s1", 3'000});
  BOOST_TEST(opened.deadline_ms == now + 3'000);
  fails(cmd_session_open{"s1", 3'000}, errc::already_exists);
  fails(cmd_session_open{"s2", 0}, errc::invalid_argument);
  fails(cmd_session_open{"s2", 1ull << 40}, errc::invalid_argument);
  now += 2'000;
  auto kept = ok<res_session>(cmd_session_keepalive{"s1"});
  BOOST_TEST(kept.deadline_ms == now + 3'000);
  ok<res_done>(cmd_session_close{"s1"});
  fails(cmd_session_keepalive{"s1"}, errc::unknown_session);
  fails(cmd_session_close{"s1"}, errc::unknown_session);
}

BOOST_FIXTURE_TEST_CASE(expiry_uses_proposal_time_only, store_fixture) {
  ok<res_session>(cmd_session_open{"s", 1'000});
  now += 999;
  ok<res_done>(cmd_expire_due{});
  BOOST_TEST(s.session("s").has_value());
  now += 1;
  auto out = run(cmd_expire_due{});
  BOOST_TEST(!s.session("s").has_value());
  BOOST_TEST_REQUIRE(out.events.size() == 1u);
  BOOST_TEST((out.events[0].kind == event_kind::session_expired));
}

BOOST_FIXTURE_TEST_CASE(time_never_goes_back, store_fixture) {
  ok<res_session>(cmd_session_open{"s", 1'000});
  now += 5'000; // a leader with a fast clock
  ok<res_done>(cmd_expire_due{});
  auto high = s.now_ms();
  now -= 4'000; // the next leader's clock is behind
  ok<res_done>(cmd_expire_due{});
  BOOST_TEST(s.now_ms() == high);
  auto reopened = ok<res_session>(cmd_session_open{"s", 1'000});
  BOOST_TEST(reopened.deadline_ms == high + 1'000);
}

BOOST_FIXTURE_TEST_CASE(any_command_brings_expiry_due, store_fixture) {
  ok<res_session>(cmd_session_open{"s", 500});
  now += 600;
  auto out = run(cmd_set{"x", "1"});
  BOOST_TEST(!s.session("s").has_value());
  BOOST_TEST_REQUIRE(out.events.size() == 2u);
  BOOST_TEST((out.events[0].kind == event_kind::session_expired));
  BOOST_TEST((out.events[1].kind == event_kind::value_created));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(locks)

BOOST_FIXTURE_TEST_CASE(grant_queue_release_fifo, store_fixture) {
  for (auto id : {"a", "b", "c"})
    ok<res_session>(cmd_session_open{id, 10'000});
  auto granted = ok<res_lock>(cmd_lock_acquire{"L", "a", "t1", true});
  BOOST_TEST(granted.granted);
  BOOST_TEST(granted.count == 1u);
  auto qb = ok<res_lock>(cmd_lock_acquire{"L", "b", "t1", true});
  auto qc = ok<res_lock>(cmd_lock_acquire{"L", "c", "t1", true});
  BOOST_TEST(!qb.granted);
  BOOST_TEST(qb.position == 1u);
  BOOST_TEST(qc.position == 2u);
  BOOST_TEST(ok<res_lock>(cmd_lock_acquire{"L", "c", "t1", true}).position == 2u); // idempotent
  auto released = run(cmd_lock_release{"L", "a", "t1", granted.token});
  BOOST_TEST_REQUIRE(!released.reply.error);
  BOOST_TEST(std::get<res_released>(released.reply.value).passed_on);
  BOOST_TEST_REQUIRE(released.events.size() == 2u);
  BOOST_TEST((released.events[1].kind == event_kind::lock_granted));
  BOOST_TEST(released.events[1].session == "b");
  BOOST_TEST(released.events[1].number > granted.token); // fencing tokens grow
  auto state = s.lock("L");
  BOOST_TEST(state.session == "b");
  BOOST_TEST_REQUIRE(state.waiters.size() == 1u);
  BOOST_TEST(state.waiters[0].session == "c");
}

BOOST_FIXTURE_TEST_CASE(try_lock_and_wrong_holder, store_fixture) {
  ok<res_session>(cmd_session_open{"a", 10'000});
  ok<res_session>(cmd_session_open{"b", 10'000});
  auto g = ok<res_lock>(cmd_lock_acquire{"L", "a", "o", false});
  fails(cmd_lock_acquire{"L", "b", "o", false}, errc::would_block);
  fails(cmd_lock_acquire{"L", "a", "other-owner", false}, errc::would_block);
  fails(cmd_lock_release{"L", "b", "o", g.token}, errc::not_holder);
  fails(cmd_lock_release{"L", "a", "o", g.token + 1}, errc::stale_token);
  fails(cmd_lock_release{"free", "a", "o", 1}, errc::not_holder);
  fails(cmd_lock_acquire{"L", "nobody", "o", true}, errc::unknown_session);
  fails(cmd_lock_acquire{"bad id", "a", "o", true}, errc::invalid_id);
  BOOST_TEST(s.lock("L").session == "a");
}

BOOST_FIXTURE_TEST_CASE(reentrant_per_owner, store_fixture) {
  ok<res_session>(cmd_session_open{"a", 10'000});
  auto g1 = ok<res_lock>(cmd_lock_acquire{"L", "a", "o", true});
  auto g2 = ok<res_lock>(cmd_lock_acquire{"L", "a", "o", true});
  BOOST_TEST(g2.token == g1.token);
  BOOST_TEST(g2.count == 2u);
  auto r1 = ok<res_released>(cmd_lock_release{"L", "a", "o", g1.token});
  BOOST_TEST(r1.remaining == 1u);
  BOOST_TEST(s.lock("L").held);
  auto r2 = ok<res_released>(cmd_lock_release{"L", "a", "o", g1.token});
  BOOST_TEST(r2.remaining == 0u);
  BOOST_TEST(!s.lock("L").held);
}

BOOST_FIXTURE_TEST_CASE(expiry_passes_lock_to_next_live_waiter, store_fixture) {
  ok<res_session>(cmd_session_open{"holder", 1'000});
  ok<res_session>(cmd_session_open{"dies-waiting", 1'500});
  ok<res_session>(cmd_session_open{"live", 60'000});
  auto g = ok<res_lock>(cmd_lock_acquire{"L", "holder", "o", true});
  ok<res_lock>(cmd_lock_acquire{"L", "dies-waiting", "o", true});
  ok<res_lock>(cmd_lock_acquire{"L", "live", "o", true});
  now += 2'000; // both first sessions lapse
  auto out = run(cmd_expire_due{});
  auto state = s.lock("L");
  BOOST_TEST(state.session == "live");
  BOOST_TEST(state.token > g.token);
  BOOST_TEST(state.waiters.empty());
  bool lost = false;
  for (const auto& e : out.events)
    if (e.kind == event_kind::lock_lost && e.session == "holder" && e.number == g.token)
      lost = true;
  BOOST_TEST(lost); // the old holder can be told
  // The old holder's late release is refused and changes nothing.
  fails(cmd_lock_release{"L", "holder", "o", g.token}, errc::not_holder);
}

BOOST_FIXTURE_TEST_CASE(cancel_wait, store_fixture) {
  ok<res_session>(cmd_session_open{"a", 10'000});
  ok<res_session>(cmd_session_open{"b", 10'000});
  auto g = ok<res_lock>(cmd_lock_acquire{"L", "a", "o", true});
  ok<res_lock>(cmd_lock_acquire{"L", "b", "o", true});
  ok<res_done>(cmd_lock_cancel_wait{"L", "b", "o"});
  BOOST_TEST(s.lock("L").waiters.empty());
  fails(cmd_lock_cancel_wait{"L", "b", "o"}, errc::not_found);
  // The holder "cancelling" learns that it holds the lock.
  auto held = ok<res_lock>(cmd_lock_cancel_wait{"L", "a", "o"});
  BOOST_TEST(held.granted);
  BOOST_TEST(held.token == g.token);
}

BOOST_FIXTURE_TEST_CASE(close_releases_everything, store_fixture) {
  ok<res_session>(cmd_session_open{"a", 10'000});
  ok<res_session>(cmd_session_open{"b", 10'000});
  ok<res_lock>(cmd_lock_acquire{"L1", "a", "o", true});
  ok<res_lock>(cmd_lock_acquire{"L2", "b", "o", true});
  ok<res_lock>(cmd_lock_acquire{"L2", "a", "o", true});
  ok<res_lock>(cmd_lock_acquire{"L1", "b", "o", true});
  auto out = run(cmd_session_close{"a"});
  BOOST_TEST(s.lock("L1").session == "b");
  BOOST_TEST(s.lock("L2").waiters.empty());
  BOOST_TEST((out.events.back().kind == event_kind::session_closed));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(topics)

BOOST_FIXTURE_TEST_CASE(publish_and_read_in_order, store_fixture) {
  for (int i = 1; i <= 5; ++i)
    BOOST_TEST(ok<res_published>(cmd_publish{"t", "m" + std::to_string(i)}).seq == unsigned(i));
  auto page = s.read_topic("t", 2, 2).value();
  BOOST_TEST_REQUIRE(page.messages.size() == 2u);
  BOOST_TEST(page.messages[0].seq == 2u);
  BOOST_TEST(page.messages[1].message == "m3");
  BOOST_TEST(page.next_seq == 6u);
  BOOST_TEST(s.read_topic("t", 6, 10).value().messages.empty());
  BOOST_TEST(s.read_topic("never", 0, 10).value().messages.empty());
}

BOOST_FIXTURE_TEST_CASE(retention_and_compacted_answer, store_fixture) {
  ok<res_done>(cmd_topic_configure{"t", 3, 0});
  for (int i = 1; i <= 10; ++i)
    ok<res_published>(cmd_publish{"t", "m" + std::to_string(i)});
  auto old = s.read_topic("t", 2, 10);
  BOOST_TEST_REQUIRE(!old.has_value());
  BOOST_TEST(to_string(old.error().code) == "compacted");
  BOOST_TEST(old.error().message.find("first available is 8") != std::string::npos);
  BOOST_TEST(s.topic_bounds("t").first_seq == 8u);
  auto page = s.read_topic("t", 0, 10).value();
  BOOST_TEST(page.messages.size() == 3u);
  BOOST_TEST(page.messages.front().seq == 8u);
  ok<res_done>(cmd_topic_configure{"b", 0, 10});
  ok<res_published>(cmd_publish{"b", "12345"});
  ok<res_published>(cmd_publish{"b", "67890"});
  ok<res_published>(cmd_publish{"b", "abcde"});
  BOOST_TEST(s.read_topic("b", 0, 10).value().messages.size() == 2u);
  fails(cmd_publish{"b", "this is too long"}, errc::limit_exceeded);
  fails(cmd_topic_configure{"b", 1'000'000'000, 0}, errc::limit_exceeded);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(retries)

BOOST_AUTO_TEST_CASE(a_retried_proposal_applies_once) {
  store::store s;
  store_proposal add{7, 1, 0, 0, cmd_run{"n", "add_i64", store::encode_i64(1)}};
  auto first = s.apply(1, add);
  auto retry = s.apply(2, add); // the client re-sent after a leader change
  BOOST_TEST(!first.duplicate);
  BOOST_TEST(retry.duplicate);
  BOOST_TEST((retry.reply == first.reply));
  BOOST_TEST(retry.events.empty());
  BOOST_TEST(store::decode_i64(s.get("n").value().value, "n").value() == 1);
  // Once the client acknowledged sequence 1, its answer is dropped and a
  // late duplicate is refused instead of applied again.
  store_proposal next{7, 2, 1, 0, cmd_run{"n", "add_i64", store::encode_i64(1)}};
  (void)s.apply(3, next);
  auto late = s.apply(4, add);
  BOOST_TEST(late.duplicate);
  BOOST_TEST_REQUIRE(late.reply.error.has_value());
  BOOST_TEST(store::decode_i64(s.get("n").value().value, "n").value() == 2);
}

BOOST_AUTO_TEST_CASE(errors_are_cached_too_and_index_must_grow) {
  store::store s;
  store_proposal bad{7, 1, 0, 0, cmd_cas{"x", 5, "v"}};
  auto first = s.apply(1, bad);
  BOOST_TEST_REQUIRE(first.reply.error.has_value());
  (void)s.apply(2, store_proposal{0, 0, 0, 0, cmd_set{"x", "v"}});
  BOOST_TEST((s.apply(3, bad).reply == first.reply));
  auto stale = s.apply(3, store_proposal{0, 0, 0, 0, cmd_set{"x", "w"}});
  BOOST_TEST_REQUIRE(stale.reply.error.has_value());
  BOOST_TEST(to_string(stale.reply.error->code) == "invalid_argument");
  BOOST_TEST(s.get("x").value().value == "v");
}

BOOST_AUTO_TEST_CASE(idle_clients_are_forgotten_in_leader_time) {
  store::limits lim;
  lim.client_idle_ms = 1'000;
  store::store s{lim};
  (void)s.apply(1, store_proposal{7, 1, 0, 0, cmd_set{"x", "v"}});
  BOOST_TEST(s.state().clients.count(7) == 1u);
  (void)s.apply(2, store_proposal{0, 0, 0, 5'000, cmd_expire_due{}});
  BOOST_TEST(s.state().clients.count(7) == 0u);
}

namespace {
// A create that joins the 100-byte value "big": its answer carries those
// 100 bytes, so it counts reply_entry_bytes + 100.
const std::string dropped = "dropped to bound the retry cache";

store_proposal ran_by(std::uint64_t client, std::uint64_t seq, std::uint64_t time,
                      std::size_t bytes) {
  return store_proposal{client, seq, 0, time,
                        cmd_create_if_absent{"big", std::string(bytes, 'v'), {}}};
}
} // namespace

BOOST_AUTO_TEST_CASE(a_clients_oldest_answers_go_beyond_its_byte_bound) {
  store::limits lim;
  lim.max_cached_reply_bytes_per_client = 3 * (store::reply_entry_bytes + 100);
  store::store s{lim};
  (void)s.apply(1, store_proposal{0, 0, 0, 0, cmd_set{"big", std::string(100, 'v')}});
  // Each create joins the existing value: its answer carries 100 bytes.
  for (std::uint64_t seq = 1; seq <= 4; ++seq)
    (void)s.apply(seq + 1, ran_by(7, seq, 0, 1));
  const auto& client = s.state().clients.at(7);
  BOOST_TEST(client.replies.size() == 3u);
  BOOST_TEST(client.replies.begin()->first == 2u);
  BOOST_TEST(client.acked == 1u);
  BOOST_TEST(s.cached_reply_bytes() ==
             store::client_entry_bytes + 3 * (store::reply_entry_bytes + 100));
  auto evicted = s.apply(6, ran_by(7, 1, 0, 1));
  BOOST_TEST(evicted.duplicate);
  BOOST_TEST_REQUIRE(evicted.reply.error.has_value());
  BOOST_TEST(to_string(evicted.reply.error->code) == "invalid_argument");
  BOOST_TEST(evicted.reply.error->message.find(dropped) != std::string::npos);
  auto kept = s.apply(7, ran_by(7, 2, 0, 1));
  BOOST_TEST(kept.duplicate);
  BOOST_TEST(!kept.reply.error.has_value());
}

BOOST_AUTO_TEST_CASE(the_least_recently_seen_clients_caches_go_first) {
  store::limits lim;
  const std::uint64_t answer = store::reply_entry_bytes + 100;
  // Room for three clients with one answer each, not four.
  lim.max_cached_reply_bytes = 3 * (store::client_entry_bytes + answer) + answer / 2;
  store::store s{lim};
  (void)s.apply(1, store_proposal{0, 0, 0, 0, cmd_set{"big", std::string(100, 'v')}});
  // Clients 9 and 5 are seen at time 10 (a tie: the lower id is older),
  // client 3 at time 20, client 4 at 30.
  (void)s.apply(2, ran_by(9, 1, 10, 1));
  (void)s.apply(3, ran_by(5, 1, 10, 1));
  (void)s.apply(4, ran_by(3, 1, 20, 1));
  BOOST_TEST(s.state().clients.at(5).replies.size() == 1u);
  (void)s.apply(5, ran_by(4, 1, 30, 1));
  BOOST_TEST(s.cached_reply_bytes() <= lim.max_cached_reply_bytes);
  BOOST_TEST(s.state().clients.at(5).replies.empty());
  BOOST_TEST(s.state().clients.at(5).acked == 1u);
  BOOST_TEST(s.state().clients.at(9).replies.size() == 1u);
  BOOST_TEST(s.state().clients.at(3).replies.size() == 1u);
  BOOST_TEST(s.state().clients.at(4).replies.size() == 1u);
  // The dropped answer's retry is refused, not run again.
  auto retry = s.apply(6, ran_by(5, 1, 40, 1));
  BOOST_TEST(retry.duplicate);
  BOOST_TEST_REQUIRE(retry.reply.error.has_value());
  BOOST_TEST(retry.reply.error->message.find(dropped) != std::string::npos);
  // Over the bound with every cache empty but the newest: the least
  // recently seen entries themselves go, never the client just seen.
  for (std::uint64_t client = 100; client < 200; ++client)
    (void)s.apply(client, store_proposal{client, 1, 0, 50, cmd_expire_due{}});
  BOOST_TEST(s.cached_reply_bytes() <= lim.max_cached_reply_bytes);
  BOOST_TEST(s.state().clients.count(199) == 1u);
  BOOST_TEST(s.state().clients.count(9) == 0u);
}

BOOST_AUTO_TEST_CASE(restore_counts_the_cache_again) {
  store::limits lim;
  lim.max_cached_reply_bytes_per_client = 2 * (store::reply_entry_bytes + 100);
  lim.max_cached_reply_bytes = 5 * (store::client_entry_bytes + store::reply_entry_bytes + 100);
  store::store s{lim};
  (void)s.apply(1, store_proposal{0, 0, 0, 0, cmd_set{"big", std::string(100, 'v')}});
  std::uint64_t index = 1;
  for (std::uint64_t client = 1; client <= 4; ++client)
    for (std::uint64_t seq = 1; seq <= 3; ++seq) {
      ++index;
      (void)s.apply(index, ran_by(client, seq, index, 1));
    }
  auto restored = store::store::restore(s.snapshot(), lim);
  BOOST_TEST_REQUIRE(restored.has_value());
  BOOST_TEST(restored->cached_reply_bytes() == s.cached_reply_bytes());
  BOOST_TEST((*restored == s));
  // Both go on to evict the same answers.
  for (std::uint64_t client = 5; client <= 7; ++client) {
    ++index;
    (void)s.apply(index, ran_by(client, 1, index, 1));
    (void)restored->apply(index, ran_by(client, 1, index, 1));
  }
  BOOST_TEST(restored->cached_reply_bytes() == s.cached_reply_bytes());
  BOOST_TEST(restored->snapshot() == s.snapshot());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(snapshots)

BOOST_FIXTURE_TEST_CASE(restore_rejects_garbage, store_fixture) {
  ok<res_written>(cmd_set{"a", "v"});
  auto bytes = s.snapshot();
  for (std::size_t cut : {std::size_t{0}, std::size_t{5}, bytes.size() / 2, bytes.size() - 1}) {
    auto restored = store::store::restore(std::string_view{bytes}.substr(0, cut));
    BOOST_TEST_REQUIRE(!restored.has_value());
    BOOST_TEST(to_string(restored.error().code) == "decode_failed");
  }
  auto restored = store::store::restore(bytes);
  BOOST_TEST_REQUIRE(restored.has_value());
  BOOST_TEST((*restored == s));
}

BOOST_AUTO_TEST_SUITE_END()
