// Named commands under faults, against a sequential model: one client
// enqueues, dequeues and asks the length of the replicated_queue example's
// queue (its plugin in every dref-node), at random from a seed, while
// members are killed with SIGKILL and restarted, and a fourth member joins
// and leaves. Every answer must be the model's. A call whose outcome is
// unknown (timeout, unavailable) is settled by reading the queue: it took
// effect or it did not, and nothing else may have happened.
//
// DREF_MODEL_SEED replays a run (each run prints its seed);
// DREF_MODEL_STEPS sets its length (CI runs the default).

#include "process_cluster.hpp"
#include "queue_commands.hpp"

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <deque>
#include <optional>
#include <random>
#include <sstream>

using namespace dref;
using namespace std::chrono_literals;
using queue_example::queue_with_length;

namespace {

std::uint64_t from_env(const char* name, std::uint64_t otherwise) {
  const char* text = std::getenv(name);
  return text != nullptr ? std::strtoull(text, nullptr, 10) : otherwise;
}

std::string show(const std::deque<std::int64_t>& items) {
  std::ostringstream out;
  out << "[";
  for (auto v : items)
    out << " " << v;
  out << " ]";
  return out.str();
}

bool unknown_outcome(const error& e) {
  return e.code == errc::timeout || e.code == errc::unavailable || e.code == errc::shutting_down;
}

// The faults, one at a time so that a majority stays up: a member killed
// (restarted at the next fault step), or a fourth member (removed at the
// next fault step).
struct faults {
  test::process_cluster& c;
  std::optional<std::size_t> killed;
  std::optional<std::size_t> joiner;

  // A member handle that answers (administration is forwarded to the leader).
  raft_member& admin() {
    for (std::size_t i = 0; i < 3; ++i)
      if (i != killed && c.nodes[i] && c.nodes[i]->running())
        return c.members[i];
    throw std::runtime_error("no original member runs");
  }

  void step(std::mt19937_64& rng) {
    if (killed) {
      BOOST_TEST_MESSAGE("restart member " << *killed + 1);
      c.restart(*killed);
      killed.reset();
    } else if (joiner) {
      BOOST_TEST_MESSAGE("remove member " << c.name(*joiner));
      auto removed = admin().remove(c.sys, c.name(*joiner), 10s);
      BOOST_REQUIRE_MESSAGE(removed.has_value(), (removed ? "" : removed.error().message));
      c.nodes[*joiner]->stop();
      joiner.reset();
    } else if (rng() % 3 == 0 && c.ports.size() == 3) {
      auto j = c.start_joiner();
      BOOST_TEST_MESSAGE("add member " << c.name(j));
      auto added = admin().add_learner(c.sys, c.name(j), c.endpoint(j), 10s);
      BOOST_REQUIRE_MESSAGE(added.has_value(), (added ? "" : added.error().message));
      // Promotion waits until the learner caught up (or fails: then it stays a learner).
      for (int attempt = 0; attempt < 50; ++attempt) {
        if (admin().promote(c.sys, c.name(j), 10s))
          break;
        std::this_thread::sleep_for(100ms);
      }
      joiner = j;
    } else {
      killed = rng() % 3;
      BOOST_TEST_MESSAGE("kill -9 member " << *killed + 1);
      c.nodes[*killed]->kill_hard();
    }
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(command_model)

BOOST_AUTO_TEST_CASE(random_commands_under_kills_and_membership_changes_match_the_model) {
  const auto seed = from_env("DREF_MODEL_SEED", std::random_device{}());
  const auto steps = from_env("DREF_MODEL_STEPS", 80);
  BOOST_TEST_MESSAGE("command model: seed " << seed << " (DREF_MODEL_SEED), " << steps << " steps");
  std::mt19937_64 rng{seed};
  test::process_cluster c{3, {"--plugin", REPLICATED_QUEUE_PLUGIN}};
  BOOST_REQUIRE(c.leader(10s));
  // Two clients that know every original member and move on when theirs fails.
  std::vector<raft_member> clients;
  std::vector<std::unique_ptr<context>> nodes;
  for (std::size_t first = 0; first < 2; ++first) {
    std::vector<config::endpoint> endpoints;
    for (std::size_t k = 0; k < 3; ++k)
      endpoints.push_back({"127.0.0.1", c.ports[(first + k) % 3]});
    clients.push_back(raft_member::connect(c.sys, endpoints, 10s, 15s));
    nodes.push_back(
        std::make_unique<context>(c.sys, clients.back(), test::process_cluster::options()));
  }
  const auto id = manual_id("model/queue");
  nodes[0]->make<queue_with_length>({}, id);
  std::deque<std::int64_t> model;
  std::int64_t next = 1;
  std::uint64_t last_version = 0;
  faults f{c, std::nullopt, std::nullopt};
  std::size_t settled = 0;

  // The queue as it is, read until a read answers.
  auto read_queue = [&](std::size_t n) {
    for (int attempt = 0; attempt < 20; ++attempt)
      if (auto got = nodes[n]->existing<queue_with_length>(id).try_get_versioned())
        return *got;
    BOOST_FAIL("the queue cannot be read (seed " << seed << ")");
    return versioned<queue_with_length>{};
  };
  // After an unknown outcome: the queue is the model, or the model with
  // the call applied; nothing else.
  auto settle = [&](std::size_t n, const std::deque<std::int64_t>& applied, const char* what) {
    ++settled;
    // A member may hold a proposal for its request timeout (5 s) before it
    // drops it: past that, the call took effect or never will.
    std::this_thread::sleep_for(6s);
    auto seen = read_queue(n);
    if (seen.value.items == applied)
      model = applied;
    else
      BOOST_REQUIRE_MESSAGE(seen.value.items == model,
                            what << ": the queue is " << show(seen.value.items) << ", the model "
                                 << show(model) << " or " << show(applied) << " (seed " << seed
                                 << ")");
    last_version = std::max(last_version, seen.version);
  };

  for (std::uint64_t step = 0; step < steps; ++step) {
    auto n = static_cast<std::size_t>(rng() % nodes.size());
    auto queue = nodes[n]->existing<queue_with_length>(id);
    auto pick = rng() % 100;
    if (pick < 40) {
      auto v = next++;
      auto before = queue.try_command<std::int64_t, std::int64_t>("queue.enqueue", v);
      auto applied = model;
      applied.push_back(v);
      if (!before) {
        BOOST_REQUIRE_MESSAGE(unknown_outcome(before.error()),
                              "enqueue " << v << ": " << before.error().to_string());
        settle(n, applied, "enqueue");
        continue;
      }
      BOOST_REQUIRE_MESSAGE(before->value == static_cast<std::int64_t>(model.size()),
                            "enqueue " << v << " answered " << before->value << ", the model "
                                       << model.size() << " (seed " << seed << ", step " << step
                                       << ")");
      BOOST_REQUIRE(before->version > last_version);
      last_version = before->version;
      model = applied;
    } else if (pick < 70) {
      auto taken = queue.try_command<std::optional<std::int64_t>>("queue.dequeue");
      auto applied = model;
      std::optional<std::int64_t> front;
      if (!applied.empty()) {
        front = applied.front();
        applied.pop_front();
      }
      if (!taken) {
        BOOST_REQUIRE_MESSAGE(unknown_outcome(taken.error()),
                              "dequeue: " << taken.error().to_string());
        settle(n, applied, "dequeue");
        continue;
      }
      BOOST_REQUIRE_MESSAGE(taken->value == front, "dequeue answered another value than the "
                                                   "model's front (seed "
                                                       << seed << ", step " << step << ")");
      model = applied;
    } else if (pick < 90) {
      auto length = queue.try_query<std::int64_t>("queue.length");
      if (!length) {
        BOOST_REQUIRE_MESSAGE(unknown_outcome(length.error()),
                              "length: " << length.error().to_string());
        continue;
      }
      BOOST_REQUIRE_MESSAGE(length->value == static_cast<std::int64_t>(model.size()),
                            "length answered " << length->value << ", the model " << model.size()
                                               << " (seed " << seed << ", step " << step << ")");
      BOOST_REQUIRE(length->version >= last_version);
    } else {
      f.step(rng);
    }
  }
  if (f.killed)
    c.restart(*f.killed);
  auto end = read_queue(0);
  BOOST_TEST(end.value.items == model, show(end.value.items) << " != " << show(model));
  BOOST_TEST_MESSAGE("command model: " << steps << " steps, " << next - 1 << " enqueued, "
                                       << model.size() << " left, " << settled
                                       << " unknown outcomes settled");
}

BOOST_AUTO_TEST_SUITE_END()
