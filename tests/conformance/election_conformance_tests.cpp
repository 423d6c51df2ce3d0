// Elections every backend must provide (run here on memory).

#include "cluster_fixture.hpp"
#include "wait_until.hpp"

#include <array>
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

using namespace dref;
using namespace std::chrono_literals;
using test::wait_until;

namespace {

using cluster = test::conformance_cluster;

// Counts terms and cancellations per candidate, as the callback sees them.
struct term_log {
  std::atomic<int> elected{0};
  std::atomic<int> cancelled{0};
  void attach(election& e) {
    e.when_elected([this](cancellation stop) {
      ++elected;
      stop.wait();
      ++cancelled;
    });
  }
};

int leaders(const std::vector<election>& candidates) {
  int n = 0;
  for (const auto& e : candidates)
    n += e.is_leader() ? 1 : 0;
  return n;
}

} // namespace

BOOST_AUTO_TEST_SUITE(election_conformance)

BOOST_FIXTURE_TEST_CASE(exactly_one_of_three_leads_and_all_agree, cluster) {
  std::vector<election> candidates;
  for (std::size_t i = 0; i < 3; ++i)
    candidates.push_back(node(i).join_election(manual_id("el/one"), "cand-" + std::to_string(i)));
  BOOST_TEST_REQUIRE(wait_until([&] { return leaders(candidates) == 1; }));
  std::this_thread::sleep_for(200ms); // nobody else takes over meanwhile
  BOOST_TEST(leaders(candidates) == 1);
  std::string winner;
  for (const auto& e : candidates)
    if (e.is_leader())
      winner = e.candidate();
  for (const auto& e : candidates) {
    auto seen = e.leader();
    BOOST_TEST_REQUIRE(seen.has_value());
    BOOST_TEST(*seen == winner);
  }
}

BOOST_FIXTURE_TEST_CASE(resign_cancels_the_term_and_reelection_calls_again, cluster) {
  std::array<term_log, 3> logs;
  std::vector<election> candidates;
  candidates.push_back(node(0).join_election(manual_id("el/cycle"), "a"));
  BOOST_TEST_REQUIRE(wait_until([&] { return candidates[0].is_leader(); }));
  candidates.push_back(node(1).join_election(manual_id("el/cycle"), "b"));
  candidates.push_back(node(2).join_election(manual_id("el/cycle"), "c"));
  for (std::size_t i = 0; i < 3; ++i)
    logs[i].attach(candidates[i]);
  // a leads; b and c queue in some order. Each resignation hands the lock
  // to the head of the FIFO queue and sends the resigning candidate to its
  // back, so three resignations visit both others once and come back to a.
  BOOST_TEST_REQUIRE(wait_until([&] { return logs[0].elected == 1; }));
  std::size_t current = 0;
  for (std::size_t turn = 0; turn < 3; ++turn) {
    BOOST_TEST_REQUIRE(candidates[current].is_leader());
    auto cancelled_before = logs[current].cancelled.load();
    candidates[current].resign();
    BOOST_TEST(logs[current].cancelled == cancelled_before + 1);
    std::size_t next = current;
    BOOST_TEST_REQUIRE(wait_until([&] {
      for (std::size_t i = 0; i < 3; ++i)
        if (i != current && candidates[i].is_leader())
          next = i;
      return next != current;
    }));
    BOOST_TEST(
        (candidates[next].leader() == std::optional<std::string>{candidates[next].candidate()}));
    current = next;
  }
  BOOST_TEST(current == 0u);
  // a led again: its callback ran a second time, the others once each.
  BOOST_TEST(wait_until([&] { return logs[0].elected == 2; }));
  BOOST_TEST(logs[1].elected == 1);
  BOOST_TEST(logs[2].elected == 1);
  BOOST_TEST(leaders(candidates) == 1);
}

BOOST_FIXTURE_TEST_CASE(resign_to_hands_over_to_the_chosen_candidate, cluster) {
  auto id = manual_id("el/handover");
  std::vector<election> candidates;
  candidates.push_back(node(0).join_election(id, "a"));
  BOOST_TEST_REQUIRE(wait_until([&] { return candidates[0].is_leader(); }));
  candidates.push_back(node(1).join_election(id, "b")); // next in line
  candidates.push_back(node(2).join_election(id, "c"));
  auto refused = [](auto f) -> std::optional<errc> {
    try {
      f();
    } catch (const error_exception& e) {
      return e.error().code;
    }
    return std::nullopt;
  };
  BOOST_TEST((refused([&] { candidates[1].resign_to("c"); }) == errc::not_holder));
  BOOST_TEST((refused([&] { candidates[0].resign_to("nobody"); }) == errc::not_found));
  BOOST_TEST(candidates[0].is_leader()); // refusals change nothing
  auto token = candidates[0].fencing_token();
  candidates[0].resign_to("c"); // ahead of b
  BOOST_TEST_REQUIRE(wait_until([&] { return candidates[2].is_leader(); }));
  BOOST_TEST(!candidates[1].is_leader());
  BOOST_TEST(!candidates[0].is_leader());
  BOOST_TEST(candidates[2].fencing_token() > token);
  BOOST_TEST((candidates[1].leader() == std::optional<std::string>{"c"}));
  // b is still next, a queued behind it: a plain resignation goes to b.
  candidates[2].resign();
  BOOST_TEST(wait_until([&] { return candidates[1].is_leader(); }));
}

BOOST_FIXTURE_TEST_CASE(a_crashed_leader_loses_and_is_told, cluster) {
  term_log crashed_log;
  auto doomed = node(0).join_election(manual_id("el/crash"), "doomed");
  crashed_log.attach(doomed);
  BOOST_TEST_REQUIRE(wait_until([&] { return crashed_log.elected == 1; }));
  auto heir = node(1).join_election(manual_id("el/crash"), "heir");
  std::this_thread::sleep_for(100ms);
  BOOST_TEST(!heir.is_leader());
  node(0).abandon(); // stops renewing the session: leadership lapses after the TTL
  BOOST_TEST_REQUIRE(wait_until([&] { return heir.is_leader(); }));
  BOOST_TEST((heir.leader() == std::optional<std::string>{"heir"}));
  BOOST_TEST(wait_until([&] { return crashed_log.cancelled == 1; }));
  BOOST_TEST(!doomed.is_leader());
}

BOOST_FIXTURE_TEST_CASE(observers_see_every_leader_and_fencing_tokens_grow, cluster) {
  std::mutex m;
  std::vector<std::optional<std::string>> seen;
  auto first = node(0).join_election(manual_id("el/observe"), "first");
  BOOST_TEST_REQUIRE(wait_until([&] { return first.is_leader(); }));
  auto first_token = first.fencing_token();
  auto watching = node(2).join_election(manual_id("el/observe"), "watcher-only");
  watching.leave(); // leaves before ever leading: stays out of the queue
  auto sub = watching.observe([&](std::optional<std::string> leader) {
    std::lock_guard guard{m};
    seen.push_back(std::move(leader));
  });
  auto second = node(1).join_election(manual_id("el/observe"), "second");
  std::this_thread::sleep_for(50ms);
  first.leave();
  BOOST_TEST_REQUIRE(wait_until([&] { return second.is_leader(); }));
  BOOST_TEST(second.fencing_token() > first_token);
  BOOST_TEST_REQUIRE(wait_until([&] {
    std::lock_guard guard{m};
    return !seen.empty() && seen.back() == std::optional<std::string>{"second"};
  }));
  std::lock_guard guard{m};
  BOOST_TEST_REQUIRE(seen.size() == 3u);
  BOOST_TEST((seen[0] == std::optional<std::string>{"first"}));
  BOOST_TEST(!seen[1].has_value());
}

// Observing without candidacy (etcd's Observe) and proclaiming (etcd's
// Proclaim): an observer on a node that never joins sees the leaders and
// the current term's proclamation; only the leader may proclaim, and a new
// term starts without one.
BOOST_FIXTURE_TEST_CASE(observe_without_candidacy_and_proclaim, cluster) {
  auto outside = node(2).observe_election(manual_id("el/proclaim"));
  BOOST_TEST(!outside.leader().has_value());
  BOOST_TEST(!outside.proclaimed().has_value());
  std::mutex m;
  std::vector<std::optional<std::string>> leaders;
  std::vector<proclamation> heard;
  auto leader_watch = outside.observe([&](std::optional<std::string> leader) {
    std::lock_guard guard{m};
    leaders.push_back(std::move(leader));
  });
  auto proclaim_watch = outside.on_proclaimed([&](const proclamation& p) {
    std::lock_guard guard{m};
    heard.push_back(p);
  });
  auto a = node(0).join_election(manual_id("el/proclaim"), "a");
  BOOST_TEST_REQUIRE(wait_until([&] { return a.is_leader(); }));
  auto b = node(1).join_election(manual_id("el/proclaim"), "b");
  BOOST_TEST((outside.leader() == std::optional<std::string>{"a"}));
  BOOST_TEST(!outside.proclaimed().has_value()); // a has not proclaimed yet

  a.proclaim("10.0.0.1:8080");
  auto said = outside.proclaimed();
  BOOST_TEST_REQUIRE(said.has_value());
  BOOST_TEST(said->candidate == "a");
  BOOST_TEST(said->token == a.fencing_token());
  BOOST_TEST(said->value == "10.0.0.1:8080");
  a.proclaim("10.0.0.1:9090");
  BOOST_TEST(outside.proclaimed()->value == "10.0.0.1:9090");
  try {
    b.proclaim("not the leader");
    BOOST_ERROR("a candidate that does not lead proclaimed");
  } catch (const error_exception& e) {
    BOOST_TEST(to_string(e.error().code) == "not_holder");
  }
  BOOST_TEST(outside.proclaimed()->value == "10.0.0.1:9090");

  // A new term: nothing proclaimed until its leader does.
  a.leave();
  BOOST_TEST_REQUIRE(wait_until([&] { return b.is_leader(); }));
  BOOST_TEST((outside.leader() == std::optional<std::string>{"b"}));
  BOOST_TEST(!outside.proclaimed().has_value());
  b.proclaim("10.0.0.2:8080");
  BOOST_TEST(outside.proclaimed()->candidate == "b");
  BOOST_TEST_REQUIRE(wait_until([&] {
    std::lock_guard guard{m};
    return heard.size() >= 3u && !leaders.empty() &&
           leaders.back() == std::optional<std::string>{"b"};
  }));
  std::lock_guard guard{m};
  BOOST_TEST(heard.size() == 3u);
  BOOST_TEST(heard[0].value == "10.0.0.1:8080");
  BOOST_TEST(heard[2].candidate == "b");
  BOOST_TEST(heard[2].token > heard[0].token);
  BOOST_TEST(!leaders.front().has_value()); // nobody led when observing began
}

BOOST_FIXTURE_TEST_CASE(bad_election_input_is_refused, cluster) {
  BOOST_CHECK_THROW(node(0).join_election(manual_id("el/bad"), std::string(300, 'x')),
                    error_exception);
  node(1).shutdown();
  BOOST_CHECK_THROW(node(1).join_election(manual_id("el/bad")), error_exception);
}

BOOST_AUTO_TEST_SUITE_END()
