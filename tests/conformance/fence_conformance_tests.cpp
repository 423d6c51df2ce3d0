// Fenced writes (ref<T> writes taking a dref::fence): every backend commits
// them only while the lock grant they name is current, and otherwise
// refuses them with errc::not_holder and leaves the value as it was.

#include "actor_client.hpp"
#include "cluster_fixture.hpp"
#include "dref/actors/ref_actor.hpp"
#include "wait_until.hpp"

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <string>
#include <vector>

using namespace dref;
using namespace std::chrono_literals;
using test::wait_until;

namespace {

using cluster = test::conformance_cluster;

// Every fenced write through r under f is refused with not_holder, and r
// keeps `expected` at `version`.
void all_refused(const ref<std::string>& r, const fence& f, const std::string& expected,
                 std::uint64_t version) {
  auto code = [](auto got) {
    return got ? std::string{"ok"} : std::string{to_string(got.error().code)};
  };
  BOOST_TEST(code(r.try_set("late", f)) == "not_holder");
  BOOST_TEST(code(r.try_set_at_version(version, "late", f)) == "not_holder");
  BOOST_TEST(code(r.try_remove(f)) == "not_holder");
  std::string thrown;
  try {
    r.update([](const std::string& s) { return s + "+late"; }, f);
  } catch (const error_exception& e) {
    thrown = std::string{to_string(e.error().code)};
  }
  BOOST_TEST(thrown == "not_holder");
  auto now = r.get_versioned();
  BOOST_TEST(now.value == expected);
  BOOST_TEST(now.version == version);
}

} // namespace

BOOST_AUTO_TEST_SUITE(fence_conformance)

BOOST_FIXTURE_TEST_CASE(the_current_grant_commits_every_kind_of_write, cluster) {
  auto r = node(0).make<std::string>("start", manual_id("fc/commit"));
  auto guard = node(0).lock(manual_id("fc/commit-lock"));
  auto v1 = r.set("one", guard);
  BOOST_TEST(r.get() == "one");
  BOOST_TEST(r.try_set_at_version(v1, "two", guard).value() > v1);
  BOOST_TEST(r.compare_and_set("two", "three", guard));
  BOOST_TEST(!r.compare_and_set("two", "four", guard)); // the value differs: not written
  BOOST_TEST(r.update_and_get([](const std::string& s) { return s + "+"; }, guard) == "three+");
  // The token handed to another process: a fence made of the lock id and
  // the token alone, used by another context, commits too.
  auto elsewhere = node(1).existing<std::string>(manual_id("fc/commit"));
  elsewhere.set("handed over", fence{manual_id("fc/commit-lock"), guard.fencing_token()});
  BOOST_TEST(r.get() == "handed over");
  BOOST_TEST(r.remove(guard));
  BOOST_TEST(!r.try_get().has_value());
  BOOST_TEST(!r.remove(guard)); // nothing left: false, not an error
}

BOOST_FIXTURE_TEST_CASE(after_release_the_token_is_refused, cluster) {
  auto r = node(0).make<std::string>("start", manual_id("fc/released"));
  auto guard = node(0).lock(manual_id("fc/released-lock"));
  fence old{manual_id("fc/released-lock"), guard.fencing_token()};
  r.set("held", guard);
  auto version = r.get_versioned().version;
  guard.unlock();
  all_refused(r, old, "held", version);
  all_refused(r, guard, "held", version); // a guard that holds nothing fences nothing
}

BOOST_FIXTURE_TEST_CASE(after_another_holder_got_the_lock_the_old_token_is_refused, cluster) {
  auto r = node(0).make<std::string>("start", manual_id("fc/next"));
  auto lock_id = manual_id("fc/next-lock");
  auto first = node(0).lock(lock_id);
  auto old_token = first.fencing_token();
  r.set("first", first);
  auto version = r.get_versioned().version;
  first.unlock();
  auto second = node(1).lock(lock_id);            // another context: another session
  BOOST_TEST(second.fencing_token() > old_token); // fencing tokens strictly grow
  all_refused(r, fence{lock_id, old_token}, "first", version);
  auto refused = r.try_set("late", fence{lock_id, old_token});
  BOOST_TEST_REQUIRE(!refused.has_value());
  // The message names the lock and both tokens.
  const auto& message = refused.error().message;
  BOOST_TEST(message.find("fc/next-lock") != std::string::npos);
  BOOST_TEST(message.find(std::to_string(old_token)) != std::string::npos);
  BOOST_TEST(message.find(std::to_string(second.fencing_token())) != std::string::npos);
  // The new holder's token commits, from any context.
  r.set("second", fence{lock_id, second.fencing_token()});
  BOOST_TEST(node(2).existing<std::string>(manual_id("fc/next")).get() == "second");
}

BOOST_FIXTURE_TEST_CASE(a_lost_grant_is_refused, cluster) {
  auto r = node(0).make<std::string>("start", manual_id("fc/lost"));
  auto lock_id = manual_id("fc/lost-lock");
  auto doomed = node(1).lock(lock_id);
  auto old_token = doomed.fencing_token();
  node(1).abandon(); // its session lapses: the grant is lost, nobody released it
  BOOST_TEST_REQUIRE(wait_until([&] { return doomed.lost(); }));
  auto version = r.get_versioned().version;
  all_refused(r, fence{lock_id, old_token}, "start", version);
}

// Large values are written as a delta against the value read (a patch;
// on redis, a cas the backend makes of it): under the fence all the same.
BOOST_FIXTURE_TEST_CASE(fenced_updates_of_large_values, cluster) {
  auto r = node(0).make<std::string>(std::string(20'000, 'a'), manual_id("fc/large"));
  auto lock_id = manual_id("fc/large-lock");
  auto guard = node(0).lock(lock_id);
  auto old_token = guard.fencing_token();
  auto grow = [](const std::string& s) { return s + "b"; };
  BOOST_TEST(r.update_and_get(grow, guard).size() == 20'001u);
  guard.unlock();
  auto version = r.get_versioned().version;
  std::string thrown;
  try {
    r.update(grow, fence{lock_id, old_token});
  } catch (const error_exception& e) {
    thrown = std::string{to_string(e.error().code)};
  }
  BOOST_TEST(thrown == "not_holder");
  BOOST_TEST(r.get_versioned().version == version);
  BOOST_TEST(r.get().size() == 20'001u);
}

BOOST_FIXTURE_TEST_CASE(fenced_writes_from_an_actor, cluster) {
  auto r = node(0).make<std::string>("start", manual_id("fc/actor"));
  auto guard = node(0).lock(manual_id("fc/actor-lock"));
  fence current = guard;
  fence stale{manual_id("fc/actor-lock"), guard.fencing_token() - 1};
  std::atomic<int> outcome{0};
  std::string seen;
  test::actor_stopper stop;
  stop.add(test::spawn_client(sys, [&](caf::event_based_actor* self, std::function<void()> finish) {
    auto fail = test::fail_into(outcome, finish);
    r.set(self, "set", current)
        .then(
            [&, self, finish, fail](std::uint64_t) {
              r.update_and_get(
                   self, [](const std::string& s) { return s + "+"; }, current)
                  .then(
                      [&, self, finish, fail](const std::string& updated) {
                        seen = updated;
                        r.set(self, "stale", stale)
                            .then(
                                [&, finish](std::uint64_t) {
                                  BOOST_ERROR("a stale token's set committed");
                                  outcome = -1;
                                  finish();
                                },
                                [&, self, finish, fail](const error& e) {
                                  BOOST_TEST(to_string(e.code) == "not_holder");
                                  r.remove(self, stale)
                                      .then(
                                          [&, finish](bool) {
                                            BOOST_ERROR("a stale token's remove committed");
                                            outcome = -1;
                                            finish();
                                          },
                                          [&, finish](const error& e2) {
                                            BOOST_TEST(to_string(e2.code) == "not_holder");
                                            outcome = 1;
                                            finish();
                                          });
                                });
                      },
                      fail);
            },
            fail);
  }));
  BOOST_TEST_REQUIRE(wait_until([&] { return outcome.load() != 0; }));
  BOOST_TEST(outcome.load() == 1);
  BOOST_TEST(seen == "set+");
  BOOST_TEST(r.get() == "set+");
}

BOOST_FIXTURE_TEST_CASE(fenced_writes_by_message_to_a_ref_actor, cluster) {
  auto r = node(0).make<std::string>("start", manual_id("fc/message"));
  auto guard = node(0).lock(manual_id("fc/message-lock"));
  fence current = guard;
  fence stale{manual_id("fc/message-lock"), guard.fencing_token() - 1};
  test::actor_stopper stop;
  auto served = stop.add(spawn_ref_actor(sys, r));
  caf::scoped_actor self{sys};
  auto fail = [](const caf::error& e) {
    BOOST_ERROR("unexpected: " << from_caf_error(e).to_string());
  };
  std::vector<std::string> refusals;
  auto refused = [&](const caf::error& e) {
    refusals.emplace_back(to_string(from_caf_error(e).code));
  };
  bool swapped = false;
  std::string updated;
  self->request(served, 5s, ref_set_atom::value, std::string{"set"}, current)
      .receive([](std::uint64_t) {}, fail);
  self->request(served, 5s, ref_cas_atom::value, std::string{"set"}, std::string{"cas"}, current)
      .receive([&](bool b) { swapped = b; }, fail);
  self->request(served, 5s, ref_update_atom::value,
                ref_update<std::string>{[](const std::string& s) { return s + "+"; }}, current)
      .receive([&](const std::string& v) { updated = v; }, fail);
  self->request(served, 5s, ref_set_atom::value, std::string{"late"}, stale)
      .receive([](std::uint64_t) { BOOST_ERROR("a stale set committed"); }, refused);
  self->request(served, 5s, ref_remove_atom::value, stale)
      .receive([](bool) { BOOST_ERROR("a stale remove committed"); }, refused);
  BOOST_TEST(swapped);
  BOOST_TEST(updated == "cas+");
  BOOST_TEST(refusals == (std::vector<std::string>{"not_holder", "not_holder"}));
  BOOST_TEST(r.get() == "cas+");
  bool removed = false;
  self->request(served, 5s, ref_remove_atom::value, current)
      .receive([&](bool b) { removed = b; }, fail);
  BOOST_TEST(removed);
  BOOST_TEST(!r.try_get().has_value());
}

BOOST_AUTO_TEST_SUITE_END()
