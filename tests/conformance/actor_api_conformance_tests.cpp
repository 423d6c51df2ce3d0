// Cached reads and requests from actors, every backend must provide (run
// here on memory).

#include "actor_client.hpp"
#include "cluster_fixture.hpp"
#include "dref/store/named_commands.hpp"
#include "test_thread.hpp"
#include "wait_until.hpp"

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <caf/event_based_actor.hpp>
#include <functional>
#include <memory>
#include <thread>

using namespace dref;
using namespace std::chrono_literals;
using test::spawn_client;
using test::wait_until;

namespace {
using cluster = test::conformance_cluster;
} // namespace

BOOST_AUTO_TEST_SUITE(actor_api_conformance)

BOOST_FIXTURE_TEST_CASE(get_cached_reads_own_writes_at_once, cluster) {
  auto r = node(0).make<int>(1, manual_id("ac/own"));
  BOOST_TEST(r.get_cached() == 1);
  for (int i = 2; i <= 50; ++i) {
    r.set(i);
    BOOST_TEST_REQUIRE(r.get_cached() == i);
  }
  r.update([](int v) { return v * 2; });
  BOOST_TEST(r.get_cached() == 100);
}

BOOST_FIXTURE_TEST_CASE(get_cached_follows_other_nodes_and_never_goes_back, cluster) {
  auto writer = node(1).make<int>(0, manual_id("ac/follow"));
  auto reader = node(0).existing<int>(manual_id("ac/follow"));
  BOOST_TEST(reader.get_cached() == 0);
  std::atomic<bool> writing{true};
  test::test_thread writes{[&] {
    for (int i = 1; i <= 300; ++i)
      writer.set(i);
    writing = false;
  }};
  int last = 0;
  int went_back = 0;
  while (writing) {
    int seen = reader.get_cached();
    if (seen < last)
      ++went_back;
    last = seen;
  }
  writes.join();
  BOOST_TEST(went_back == 0);
  BOOST_TEST(wait_until([&] { return reader.get_cached() == 300; }));
}

BOOST_FIXTURE_TEST_CASE(get_cached_of_a_missing_id_errors_until_created, cluster) {
  auto later = node(0).existing<std::string>(manual_id("ac/missing"));
  auto tried = later.try_get_cached();
  BOOST_TEST_REQUIRE(!tried.has_value());
  BOOST_TEST((tried.error().code == errc::not_found));
  node(2).make<std::string>("here", manual_id("ac/missing"));
  BOOST_TEST(wait_until([&] {
    auto got = later.try_get_cached();
    return got && *got == "here";
  }));
}

BOOST_FIXTURE_TEST_CASE(hundred_actors_times_hundred_increments, cluster) {
  node(0).make<std::int64_t>(0, manual_id("ac/counter"));
  constexpr int actors = 100;
  constexpr int increments = 100;
  std::atomic<int> finished{0};
  std::atomic<int> failed{0};
  test::actor_stopper stop;
  for (int a = 0; a < actors; ++a) {
    auto counter =
        node(static_cast<std::size_t>(a) % 3).existing<std::int64_t>(manual_id("ac/counter"));
    stop.add(spawn_client(sys, [&, counter](caf::event_based_actor* self,
                                            std::function<void()> finish) {
      auto step = std::make_shared<std::function<void(int)>>();
      *step = [self, counter, finish, &finished, &failed, weak = std::weak_ptr{step}](int left) {
        if (left == 0) {
          ++finished;
          return finish();
        }
        auto again = weak.lock();
        counter.update_and_get(self, [](std::int64_t n) { return n + 1; })
            .then([again, left](std::int64_t) { (*again)(left - 1); },
                  [&failed, finish](const error& e) {
                    BOOST_TEST_MESSAGE("async update failed: " << e.to_string());
                    ++failed;
                    finish();
                  });
      };
      (*step)(increments);
    }));
  }
  BOOST_TEST_REQUIRE(wait_until([&] { return finished + failed == actors; }, 120s));
  BOOST_TEST(failed.load() == 0);
  BOOST_TEST(node(1).existing<std::int64_t>(manual_id("ac/counter")).get() == actors * increments);
}

// Updates from actors of one node commit in batches; a refused one (by the
// validator, or by the store as oversize) fails alone.
BOOST_AUTO_TEST_CASE(a_refused_update_among_many_fails_alone) {
  store::limits limits;
  limits.max_value_bytes = 1024;
  cluster small{1, limits};
  auto text = small.node(0).make<std::string>("", manual_id("ac/batch"));
  auto checked = text;
  checked.set_validator([](const std::string& s) { return s.find('!') == std::string::npos; });
  constexpr int actors = 30;
  std::atomic<int> appended{0}, refused{0}, oversize{0}, other{0};
  test::actor_stopper stop;
  for (int a = 0; a < actors; ++a)
    stop.add(spawn_client(small.sys, [&, a](caf::event_based_actor* self,
                                            std::function<void()> finish) {
      auto verdict = [&, finish](const error& e) {
        if (e.code == errc::validation_failed)
          ++refused;
        else if (e.code == errc::value_too_large)
          ++oversize;
        else
          ++other;
        finish();
      };
      auto ok = [&, finish](const std::string&) {
        ++appended;
        finish();
      };
      switch (a % 3) {
        case 0:
          checked.update_and_get(self, [](const std::string& s) { return s + "x"; })
              .then(ok, verdict);
          break;
        case 1:
          checked.update_and_get(self, [](const std::string& s) { return s + "!"; })
              .then(ok, verdict);
          break;
        default:
          text.update_and_get(self, [](const std::string& s) { return s + std::string(2000, 'y'); })
              .then(ok, verdict);
      }
    }));
  BOOST_TEST_REQUIRE(wait_until([&] { return appended + refused + oversize + other == actors; }));
  BOOST_TEST(appended.load() == actors / 3);
  BOOST_TEST(refused.load() == actors / 3);
  BOOST_TEST(oversize.load() == actors / 3);
  BOOST_TEST(other.load() == 0);
  BOOST_TEST(text.get() == std::string(actors / 3, 'x'));
}

BOOST_FIXTURE_TEST_CASE(actor_get_set_cas_and_errors, cluster) {
  auto r = node(0).make<std::string>("a", manual_id("ac/ops"));
  auto missing = node(1).existing<std::string>(manual_id("ac/nope"));
  auto guarded = node(2).existing<std::string>(manual_id("ac/ops"));
  guarded.set_validator([](const std::string& s) { return s.size() < 5; });
  struct seen_t {
    std::string got, old_value;
    std::uint64_t version = 0;
    bool cas_hit = false, cas_miss = true;
    errc missing_code = errc::internal, refused_code = errc::internal;
  };
  auto seen = std::make_shared<seen_t>();
  std::atomic<bool> done{false};
  test::actor_stopper stop;
  stop.add(spawn_client(sys, [&, seen](caf::event_based_actor* self, std::function<void()> finish) {
    auto fail = [finish, &done](const error& e) {
      BOOST_TEST_MESSAGE("unexpected: " << e.to_string());
      done = true;
      finish();
    };
    // Chained in the actor's context: each answer starts the next request.
    r.set(self, std::string{"b"})
        .then(
            [=, &done](std::uint64_t version) {
              seen->version = version;
              r.get(self).then(
                  [=, &done](std::string got) {
                    seen->got = got;
                    r.compare_and_set(self, std::string{"b"}, std::string{"c"})
                        .then(
                            [=, &done](bool hit) {
                              seen->cas_hit = hit;
                              r.compare_and_set(self, std::string{"zz"}, std::string{"d"})
                                  .then(
                                      [=, &done](bool hit2) {
                                        seen->cas_miss = hit2;
                                        r.get_and_update(
                                             self, [](const std::string& s) { return s + "!"; })
                                            .then(
                                                [=, &done](std::string old) {
                                                  seen->old_value = old;
                                                  missing.get(self).then(
                                                      [fail](std::string) {
                                                        fail(error{errc::internal,
                                                                   "missing id answered"});
                                                      },
                                                      [=, &done](const error& e) {
                                                        seen->missing_code = e.code;
                                                        guarded
                                                            .update_and_get(self,
                                                                            [](const std::string&) {
                                                                              return std::string{
                                                                                  "too long"};
                                                                            })
                                                            .then(
                                                                [fail](std::string) {
                                                                  fail(error{errc::internal,
                                                                             "validator ignored"});
                                                                },
                                                                [=, &done](const error& e2) {
                                                                  seen->refused_code = e2.code;
                                                                  done = true;
                                                                  finish();
                                                                });
                                                      });
                                                },
                                                fail);
                                      },
                                      fail);
                            },
                            fail);
                  },
                  fail);
            },
            fail);
  }));
  BOOST_TEST_REQUIRE(wait_until([&] { return done.load(); }));
  BOOST_TEST(seen->version > 0u);
  BOOST_TEST(seen->got == "b");
  BOOST_TEST(seen->cas_hit);
  BOOST_TEST(!seen->cas_miss);
  BOOST_TEST(seen->old_value == "c");
  BOOST_TEST((seen->missing_code == errc::not_found));
  BOOST_TEST((seen->refused_code == errc::validation_failed));
  BOOST_TEST(r.get() == "c!");
  BOOST_TEST(r.get_cached() == "c!");
}

// An answer never runs inside then(), even where the backend answers in the
// asking thread (memory): the code after then() runs first, and an answer
// that asks again does not nest. Reads and proposals take turns.
BOOST_FIXTURE_TEST_CASE(answers_run_after_the_asking_handler, cluster) {
  auto r = node(0).make<std::int64_t>(0, manual_id("ac/chain"));
  constexpr int steps = 300;
  struct chain_t {
    int answered = 0;
    int inside_then = 0; // answers that ran before their then() returned
    int failed = 0;
  };
  auto chain = std::make_shared<chain_t>();
  std::atomic<bool> done{false};
  test::actor_stopper stop;
  stop.add(
      spawn_client(sys, [&, chain, r](caf::event_based_actor* self, std::function<void()> finish) {
        auto step = std::make_shared<std::function<void()>>();
        *step = [=, &done, weak = std::weak_ptr{step}] {
          if (chain->answered + chain->failed == steps) {
            done = true;
            return finish();
          }
          auto again = weak.lock();
          auto returned = std::make_shared<bool>(false);
          auto answered = [chain, again, returned] {
            if (!*returned)
              ++chain->inside_then;
            ++chain->answered;
            (*again)();
          };
          auto failed = [chain, again](const error& e) {
            BOOST_TEST_MESSAGE("chain step failed: " << e.to_string());
            ++chain->failed;
            (*again)();
          };
          if (chain->answered % 2 == 0)
            r.get(self).then([answered](std::int64_t) { answered(); }, failed);
          else
            r.run(self, "add_i64", store::encode_i64(1))
                .then([answered](const versioned<std::int64_t>&) { answered(); }, failed);
          *returned = true;
        };
        (*step)();
      }));
  BOOST_TEST_REQUIRE(wait_until([&] { return done.load(); }, 60s));
  BOOST_TEST(chain->failed == 0);
  BOOST_TEST(chain->inside_then == 0);
  BOOST_TEST(r.get() == steps / 2);
}

BOOST_AUTO_TEST_SUITE_END()
