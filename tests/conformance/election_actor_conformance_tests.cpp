// Elections from actors: e.leader(self), e.when_elected(self, ...),
// e.observe(self, fn), e.resign(self), and the typed election actor
// (dref/actors/election_actor.hpp); every backend must provide them.

#include "actor_client.hpp"
#include "cluster_fixture.hpp"
#include "dref/actors/election_actor.hpp"
#include "wait_until.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

using namespace dref;
using namespace std::chrono_literals;
using test::spawn_client;
using test::wait_until;

namespace {

using cluster = test::conformance_cluster;

// What one candidate actor saw, written only from its own context.
struct candidate_log {
  std::atomic<int> elected{0};
  std::atomic<int> ended{0};
  std::atomic<bool> cancelled_when_ended{false};
  std::atomic<int> resigned{0};
  std::mutex m;
  std::optional<std::string> leader_seen;
};

} // namespace

BOOST_AUTO_TEST_SUITE(election_actor_api_conformance)

BOOST_FIXTURE_TEST_CASE(actor_candidates_elect_one_agree_and_resign_hands_over, cluster) {
  auto name = manual_id("ea/three");
  std::array<candidate_log, 3> logs;
  std::array<std::shared_ptr<election>, 3> candidacies;
  std::atomic<int> idle{0};
  test::actor_stopper stop;
  for (std::size_t n = 0; n < 3; ++n) {
    candidacies[n] =
        std::make_shared<election>(node(n).join_election(name, "cand-" + std::to_string(n)));
    stop.add(spawn_client(sys, [&log = logs[n], e = candidacies[n]](caf::event_based_actor* self,
                                                                    std::function<void()>) {
      auto current = std::make_shared<std::optional<cancellation>>();
      e->when_elected(
          self,
          [&log, current](cancellation term) {
            *current = term;
            ++log.elected;
          },
          [&log, current] {
            log.cancelled_when_ended = current->has_value() && (*current)->cancelled();
            ++log.ended;
          });
    }));
  }
  auto leading = [&] {
    int n = 0;
    for (auto& l : logs)
      n += l.elected - l.ended;
    return n;
  };
  BOOST_TEST_REQUIRE(wait_until([&] { return leading() == 1; }));
  std::this_thread::sleep_for(200ms); // nobody else takes over meanwhile
  BOOST_TEST(leading() == 1);
  std::size_t first = 0;
  for (std::size_t n = 0; n < 3; ++n)
    if (logs[n].elected == 1)
      first = n;
  BOOST_TEST(candidacies[first]->is_leader());
  // Every node's actors read the same leader.
  for (std::size_t n = 0; n < 3; ++n)
    spawn_client(sys, [&log = logs[n], e = candidacies[n]](caf::event_based_actor* self,
                                                           std::function<void()> finish) {
      e->leader(self).then(
          [&log, finish](std::optional<std::string> leader) {
            std::lock_guard guard{log.m};
            log.leader_seen = leader.value_or("<nobody>");
            finish();
          },
          [&log, finish](const error& err) {
            std::lock_guard guard{log.m};
            log.leader_seen = "error: " + err.to_string();
            finish();
          });
    });
  for (auto& log : logs) {
    BOOST_TEST_REQUIRE(wait_until([&] {
      std::lock_guard guard{log.m};
      return log.leader_seen.has_value();
    }));
    std::lock_guard guard{log.m};
    BOOST_TEST(*log.leader_seen == "cand-" + std::to_string(first));
  }
  // The leader resigns from an actor: answered once released, its term
  // ended in the actor (cancelled by then) and another candidate leads.
  spawn_client(sys, [&log = logs[first], e = candidacies[first]](caf::event_based_actor* self,
                                                                 std::function<void()> finish) {
    e->resign(self).then(
        [&log, e, finish] {
          log.resigned = e->is_leader() ? -1 : 1;
          finish();
        },
        [&log, finish](const error& err) {
          BOOST_ERROR("resign: " << err.to_string());
          log.resigned = -1;
          finish();
        });
  });
  BOOST_TEST_REQUIRE(wait_until([&] { return logs[first].resigned != 0; }));
  BOOST_TEST(logs[first].resigned.load() == 1);
  BOOST_TEST_REQUIRE(wait_until([&] { return logs[first].ended == 1; }));
  BOOST_TEST(logs[first].cancelled_when_ended.load());
  BOOST_TEST_REQUIRE(wait_until([&] {
    int others = 0;
    for (std::size_t n = 0; n < 3; ++n)
      if (n != first)
        others += logs[n].elected;
    return others == 1;
  }));
  BOOST_TEST(leading() == 1);
  // Not leading: resign answers at once and changes nothing.
  std::size_t follower = (first + 1) % 3;
  if (candidacies[follower]->is_leader())
    follower = (first + 2) % 3;
  spawn_client(sys, [&, e = candidacies[follower]](caf::event_based_actor* self,
                                                   std::function<void()> finish) {
    e->resign(self).then(
        [&, finish] {
          idle = 1;
          finish();
        },
        [&, finish](const error&) {
          idle = -1;
          finish();
        });
  });
  BOOST_TEST_REQUIRE(wait_until([&] { return idle != 0; }));
  BOOST_TEST(idle.load() == 1);
  BOOST_TEST(leading() == 1);
}

BOOST_FIXTURE_TEST_CASE(a_lapsed_term_ends_in_the_actor_and_observers_see_every_leader, cluster) {
  auto name = manual_id("ea/lapse");
  candidate_log doomed_log;
  auto doomed = std::make_shared<election>(node(0).join_election(name, "doomed"));
  std::mutex m;
  std::vector<std::optional<std::string>> seen;
  std::atomic<int> observing{0};
  subscription keep; // what an actor would keep in its state
  test::actor_stopper stop;
  stop.add(spawn_client(sys, [&, doomed](caf::event_based_actor* self, std::function<void()>) {
    doomed->when_elected(
        self, [&](cancellation) { ++doomed_log.elected; }, [&] { ++doomed_log.ended; });
  }));
  BOOST_TEST_REQUIRE(wait_until([&] { return doomed_log.elected == 1; }));
  // An observer actor on another node: the current leader first, then each change.
  auto watcher = std::make_shared<election>(node(2).join_election(name, "watcher-only"));
  watcher->leave(); // observes without campaigning
  stop.add(spawn_client(sys, [&, watcher](caf::event_based_actor* self, std::function<void()>) {
    watcher
        ->observe(self,
                  [&](std::optional<std::string> leader) {
                    std::lock_guard guard{m};
                    seen.push_back(std::move(leader));
                  })
        .then(
            [&](subscription s) {
              keep = std::move(s);
              observing = 1;
            },
            [&](const error& err) {
              BOOST_ERROR("observe: " << err.to_string());
              observing = -1;
            });
  }));
  BOOST_TEST_REQUIRE(wait_until([&] { return observing != 0; }));
  BOOST_TEST_REQUIRE(observing.load() == 1);
  auto heir = node(1).join_election(name, "heir");
  std::this_thread::sleep_for(100ms);
  BOOST_TEST(!heir.is_leader());
  node(0).abandon(); // stops renewing the session: leadership lapses after the TTL
  BOOST_TEST_REQUIRE(wait_until([&] { return heir.is_leader(); }));
  BOOST_TEST_REQUIRE(wait_until([&] { return doomed_log.ended == 1; }));
  BOOST_TEST(!doomed->is_leader());
  BOOST_TEST_REQUIRE(wait_until([&] {
    std::lock_guard guard{m};
    return !seen.empty() && seen.back() == std::optional<std::string>{"heir"};
  }));
  std::lock_guard guard{m};
  BOOST_TEST_REQUIRE(seen.size() == 3u);
  BOOST_TEST((seen[0] == std::optional<std::string>{"doomed"}));
  BOOST_TEST(!seen[1].has_value());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(election_actor_conformance)

BOOST_FIXTURE_TEST_CASE(typed_candidates_elect_one_and_hand_over_on_resign_and_exit, cluster) {
  auto name = manual_id("et/three");
  // What the listener heard, in order: (elected?, candidate, token).
  std::mutex m;
  std::vector<std::tuple<bool, std::string, std::uint64_t>> heard;
  test::actor_stopper stop;
  auto listener = stop.add(sys.spawn([&](caf::event_based_actor*) -> caf::behavior {
    return {
        [&](election_elected_atom, const std::string& who, std::uint64_t token) {
          std::lock_guard guard{m};
          heard.emplace_back(true, who, token);
        },
        [&](election_ended_atom, const std::string& who, std::uint64_t token) {
          std::lock_guard guard{m};
          heard.emplace_back(false, who, token);
        },
    };
  }));
  std::vector<election_actor> candidates;
  for (std::size_t n = 0; n < 3; ++n)
    candidates.push_back(
        stop.add(spawn_election_actor(sys, node(n), name, "typed-" + std::to_string(n))));
  caf::scoped_actor self{sys};
  auto fail = [](const caf::error& e) {
    BOOST_ERROR("unexpected: " << from_caf_error(e).to_string());
  };
  for (auto& c : candidates)
    self->send(c, election_watch_atom::value, listener);
  auto heard_count = [&] {
    std::lock_guard guard{m};
    return heard.size();
  };
  BOOST_TEST_REQUIRE(wait_until([&] { return heard_count() >= 1; }));
  std::this_thread::sleep_for(100ms);
  std::string first;
  std::uint64_t first_token = 0;
  {
    std::lock_guard guard{m};
    BOOST_TEST_REQUIRE(heard.size() == 1u);
    BOOST_TEST(std::get<0>(heard[0]));
    first = std::get<1>(heard[0]);
    first_token = std::get<2>(heard[0]);
  }
  BOOST_TEST(first_token > 0u);
  int leaders = 0;
  std::size_t first_index = 0;
  for (std::size_t n = 0; n < 3; ++n) {
    self->request(candidates[n], 5s, election_is_leader_atom::value)
        .receive(
            [&, n](bool leads) {
              if (leads) {
                ++leaders;
                first_index = n;
              }
            },
            fail);
    self->request(candidates[n], 5s, election_leader_atom::value)
        .receive([&](const std::string& leader) { BOOST_TEST(leader == first); }, fail);
  }
  BOOST_TEST(leaders == 1);
  BOOST_TEST(first == "typed-" + std::to_string(first_index));
  // Resign by message: answered once released; the term's end and the next
  // leader's term reach the listener, with a greater token. The two come
  // from different candidates' actors, so they may arrive in either order.
  bool resigned = false;
  self->request(candidates[first_index], 5s, election_resign_atom::value)
      .receive([&] { resigned = true; }, fail);
  BOOST_TEST(resigned);
  BOOST_TEST_REQUIRE(wait_until([&] { return heard_count() >= 3; }));
  std::string second;
  {
    std::lock_guard guard{m};
    std::string story;
    for (const auto& [elected, who, token] : heard)
      story += (elected ? " elected " : " ended ") + who + "@" + std::to_string(token);
    BOOST_TEST_INFO("the listener heard:" << story);
    BOOST_TEST_REQUIRE(heard.size() == 3u);
    auto ended = std::find(heard.begin(), heard.end(), std::tuple{false, first, first_token});
    BOOST_TEST((ended != heard.end()));
    auto next =
        std::find_if(heard.begin() + 1, heard.end(), [](const auto& h) { return std::get<0>(h); });
    BOOST_TEST_REQUIRE((next != heard.end()));
    second = std::get<1>(*next);
    BOOST_TEST(second != first);
    BOOST_TEST(std::get<2>(*next) > first_token);
  }
  // The second leader's actor exits: it leaves the election and a third
  // candidate (the first again, queued behind) is elected.
  std::size_t second_index = second.back() - '0';
  caf::anon_send_exit(candidates[second_index], caf::exit_reason::user_shutdown);
  BOOST_TEST_REQUIRE(wait_until([&] {
    std::lock_guard guard{m};
    return !heard.empty() && std::get<0>(heard.back()) && std::get<1>(heard.back()) != second;
  }));
  std::size_t remaining_leaders = 0;
  for (std::size_t n = 0; n < 3; ++n)
    if (n != second_index)
      self->request(candidates[n], 5s, election_is_leader_atom::value)
          .receive([&](bool leads) { remaining_leaders += leads ? 1 : 0; }, fail);
  BOOST_TEST(remaining_leaders == 1u);
}

// An observer from actors (context::observe_election): the leader, its
// changes and the proclamations, nothing blocking; the leader proclaims
// from an actor, and a candidate that does not lead is told not_holder.
BOOST_FIXTURE_TEST_CASE(an_actor_observes_and_the_leader_proclaims_from_an_actor, cluster) {
  auto name = manual_id("ea/observed");
  auto leader = std::make_shared<election>(node(0).join_election(name, "lead"));
  BOOST_TEST_REQUIRE(wait_until([&] { return leader->is_leader(); }));
  auto follower = std::make_shared<election>(node(1).join_election(name, "follow"));
  auto observer = std::make_shared<election_observer>(node(2).observe_election(name));
  std::mutex m;
  std::vector<std::optional<std::string>> leaders;
  std::vector<proclamation> heard;
  std::atomic<int> watching{0};
  std::optional<std::string> leader_read;
  // The watches live as long as the test, not just as long as the answers.
  auto watches = std::make_shared<std::vector<subscription>>();
  test::actor_stopper stop;
  stop.add(spawn_client(
      sys, [&, observer, watches](caf::event_based_actor* self, std::function<void()>) {
        observer->leader(self).then(
            [&](std::optional<std::string> now) {
              std::lock_guard guard{m};
              leader_read = now;
            },
            [](const error& e) { BOOST_ERROR("leader: " << e.to_string()); });
        observer
            ->observe(self,
                      [&](std::optional<std::string> now) {
                        std::lock_guard guard{m};
                        leaders.push_back(now);
                      })
            .then(
                [&, watches](subscription s) {
                  watches->push_back(std::move(s));
                  ++watching;
                },
                [](const error& e) { BOOST_ERROR("observe: " << e.to_string()); });
        observer
            ->on_proclaimed(self,
                            [&](const proclamation& p) {
                              std::lock_guard guard{m};
                              heard.push_back(p);
                            })
            .then(
                [&, watches](subscription s) {
                  watches->push_back(std::move(s));
                  ++watching;
                },
                [](const error& e) { BOOST_ERROR("on_proclaimed: " << e.to_string()); });
      }));
  BOOST_TEST_REQUIRE(wait_until([&] { return watching == 2; }));
  std::atomic<int> proclaimed{0};
  std::atomic<int> refused{0};
  stop.add(
      spawn_client(sys, [&, leader, follower](caf::event_based_actor* self, std::function<void()>) {
        leader->proclaim(self, "v1")
            .then([&] { ++proclaimed; },
                  [](const error& e) { BOOST_ERROR("proclaim: " << e.to_string()); });
        follower->proclaim(self, "mine")
            .then([] { BOOST_ERROR("a candidate that does not lead proclaimed"); },
                  [&](const error& e) {
                    if (e.code == errc::not_holder)
                      ++refused;
                  });
      }));
  BOOST_TEST_REQUIRE(wait_until([&] { return proclaimed == 1 && refused == 1; }));
  BOOST_TEST_REQUIRE(wait_until([&] {
    std::lock_guard guard{m};
    return !heard.empty();
  }));
  std::optional<proclamation> read_back;
  std::atomic<int> read_done{0};
  stop.add(spawn_client(sys, [&, observer](caf::event_based_actor* self, std::function<void()>) {
    observer->proclaimed(self).then(
        [&](std::optional<proclamation> p) {
          read_back = std::move(p);
          ++read_done;
        },
        [](const error& e) { BOOST_ERROR("proclaimed: " << e.to_string()); });
  }));
  BOOST_TEST_REQUIRE(wait_until([&] { return read_done == 1; }));
  BOOST_TEST_REQUIRE(read_back.has_value());
  BOOST_TEST(read_back->candidate == "lead");
  BOOST_TEST(read_back->value == "v1");
  BOOST_TEST(read_back->token == leader->fencing_token());
  {
    std::lock_guard guard{m};
    BOOST_TEST(heard.size() == 1u);
    BOOST_TEST(heard[0].value == "v1");
    BOOST_TEST((leader_read == std::optional<std::string>{"lead"}));
    BOOST_TEST_REQUIRE(!leaders.empty());
    BOOST_TEST((leaders.front() == std::optional<std::string>{"lead"}));
  }
  // The leader steps down: the observer sees the follower lead.
  leader->leave();
  BOOST_TEST(wait_until([&] {
    std::lock_guard guard{m};
    return leaders.back() == std::optional<std::string>{"follow"};
  }));
}

BOOST_FIXTURE_TEST_CASE(resign_to_from_an_actor_hands_over_to_the_chosen_candidate, cluster) {
  auto name = manual_id("ea/handover");
  auto first = std::make_shared<election>(node(0).join_election(name, "first"));
  BOOST_TEST_REQUIRE(wait_until([&] { return first->is_leader(); }));
  auto second = std::make_shared<election>(node(1).join_election(name, "second"));
  auto third = std::make_shared<election>(node(2).join_election(name, "third"));
  std::atomic<int> refused{0};
  std::atomic<int> handed{0};
  test::actor_stopper stop;
  stop.add(spawn_client(sys, [&, first](caf::event_based_actor* self, std::function<void()>) {
    first->resign_to(self, "nobody")
        .then([] { BOOST_ERROR("handed over to a candidate not in line"); },
              [&, self, first](const error& e) {
                if (e.code == errc::not_found)
                  ++refused;
                first->resign_to(self, "third")
                    .then([&] { ++handed; },
                          [](const error& e2) { BOOST_ERROR("resign_to: " << e2.to_string()); });
              });
  }));
  BOOST_TEST_REQUIRE(wait_until([&] { return handed == 1; }));
  BOOST_TEST(refused == 1);
  BOOST_TEST(wait_until([&] { return third->is_leader(); }));
  BOOST_TEST(!second->is_leader());
}

BOOST_AUTO_TEST_SUITE_END()
