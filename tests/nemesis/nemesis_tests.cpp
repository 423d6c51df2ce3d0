// The nemesis suite: real dref-node processes (3, then 5) under faults
// drawn at random from a printed seed, used by clients through the public
// API on several endpoints. After each run:
//   - every key's history is linearizable (tests/common/linearizability.hpp;
//     a search that runs out of budget is reported as inconclusive, not as a
//     violation), so no acknowledged write is lost;
//   - a watcher of each key saw every acknowledged write, once, in order,
//     each change following on from the one before;
//   - lock holders that honour on_lost never hold the lock at overlapping
//     times (both ends recorded by the holders), and fencing tokens grow;
//   - all members end with equal state digests.
// DREF_NEMESIS_SECONDS (default 15) sets each run's length, DREF_NEMESIS_SEED
// replays a run.

#include <boost/test/unit_test.hpp>
#include <algorithm>
#include <atomic>
#include <csignal>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>

#include "linearizability.hpp"
#include "process_cluster.hpp"

using namespace dref;
using namespace std::chrono_literals;
using test::process_cluster;
using model = test::register_model;
using op = test::operation<model>;

namespace {

std::uint64_t env_number(const char* name, std::uint64_t fallback) {
  const char* text = std::getenv(name);
  return text != nullptr && *text != '\0' ? std::stoull(text) : fallback;
}

std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                      std::chrono::steady_clock::now().time_since_epoch())
                                      .count());
}

constexpr int keys = 3;
std::string key_name(int k) { return "nemesis/k" + std::to_string(k); }

// Every client's operations on every key, recorded as they happen.
struct histories {
  std::mutex mutex;
  std::map<int, std::vector<op>> by_key;
  std::map<int, std::set<std::int64_t>> acknowledged_writes; // values, unique per write
  void add(int key, op o) {
    std::lock_guard guard{mutex};
    if (o.ret != test::unknown_return
        && (o.input.what == model::kind::write || (o.input.what == model::kind::cas && o.output.ok)))
      acknowledged_writes[key].insert(o.input.value);
    by_key[key].push_back(std::move(o));
  }
};

// Every member's endpoint, client `id`'s own first member first.
std::vector<config::endpoint> endpoints_from(const process_cluster& c, int id) {
  std::vector<config::endpoint> out;
  for (std::size_t k = 0; k < c.ports.size(); ++k)
    out.push_back(config::endpoint{"127.0.0.1", c.ports[(k + static_cast<std::size_t>(id)) % c.ports.size()]});
  return out;
}

// One client: its own context on every endpoint (starting at a different
// one), random reads, writes and compare-and-sets until told to stop.
void run_client(process_cluster& c, int id, std::uint64_t seed, std::atomic<bool>& stop,
                histories& out) {
  auto cluster = raft_member::connect(c.sys, endpoints_from(c, id), 10s, 5s);
  context_options options;
  options.request_timeout = 5s;
  context ctx{c.sys, cluster, options};
  std::mt19937_64 rng{seed};
  std::int64_t next_value = (id + 1) * 1'000'000;
  while (!stop) {
    int key = static_cast<int>(rng() % keys);
    auto r = ctx.existing<std::int64_t>(manual_id(key_name(key)));
    op o;
    o.call = now_ns();
    try {
      switch (rng() % 3) {
        case 0:
          o.input = {model::kind::read, 0, 0};
          o.output = {r.get(), true};
          break;
        case 1:
          o.input = {model::kind::write, ++next_value, 0};
          r.set(o.input.value);
          break;
        default: {
          // Expect what this client saw last of the key, or a fresh guess.
          auto expected = static_cast<std::int64_t>(rng() % 2 == 0 ? 0 : next_value);
          o.input = {model::kind::cas, ++next_value, expected};
          o.output = {0, r.compare_and_set(expected, o.input.value)};
        }
      }
      o.ret = now_ns();
    } catch (const error_exception&) {
      o.ret = test::unknown_return; // may or may not have taken effect
    }
    out.add(key, o);
  }
}

// One grant of the nemesis lock as its holder saw it: from the moment it
// was told it holds the lock to the moment it let go or was told of the loss.
struct hold {
  std::uint64_t token = 0;
  std::uint64_t from = 0;
  std::uint64_t to = 0;
  bool lost = false;
};

// A lock holder that honours on_lost: it stops using the lock as soon as it
// is told of a loss, and otherwise holds it for a short while.
void run_lock_holder(process_cluster& c, int id, std::uint64_t seed, std::atomic<bool>& stop,
                     std::mutex& mutex, std::vector<hold>& holds) {
  auto cluster = raft_member::connect(c.sys, endpoints_from(c, id), 10s, 5s);
  context_options options;
  options.request_timeout = 5s;
  options.session_ttl = 1s;
  context ctx{c.sys, cluster, options};
  std::mt19937_64 rng{seed};
  while (!stop) {
    std::optional<lock_guard> guard;
    try {
      guard = ctx.try_lock_for(manual_id("nemesis/lock"), 2s);
    } catch (const error_exception&) {
      continue;
    }
    if (!guard)
      continue;
    auto h = std::make_shared<hold>();
    h->token = guard->fencing_token();
    h->from = now_ns();
    auto lost_at = std::make_shared<std::atomic<std::uint64_t>>(0);
    guard->on_lost([lost_at] { *lost_at = now_ns(); });
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds{50 + rng() % 200};
    while (std::chrono::steady_clock::now() < until && lost_at->load() == 0)
      std::this_thread::sleep_for(5ms);
    h->lost = lost_at->load() != 0;
    h->to = h->lost ? lost_at->load() : now_ns();
    guard.reset(); // lets go (a lost one: nothing to release)
    std::lock_guard lock{mutex};
    holds.push_back(*h);
  }
}

// A fault, applied and later healed.
struct fault {
  std::string what;
  std::function<void()> heal;
};

fault draw_fault(process_cluster& c, std::mt19937_64& rng) {
  auto n = c.ports.size();
  auto i = static_cast<std::size_t>(rng() % n);
  switch (rng() % 5) {
    case 0: // crash, restart later from the data directory
      c.nodes[i]->kill_hard();
      return {"kill -9 " + c.name(i), [&c, i] { c.restart(i); }};
    case 1: { // a pause (a long GC, a stopped VM)
      ::kill(c.nodes[i]->pid(), SIGSTOP);
      auto pid = c.nodes[i]->pid();
      return {"SIGSTOP " + c.name(i), [pid] { ::kill(pid, SIGCONT); }};
    }
    case 2: { // a link cut at i's side (i drops what goes to and comes from j), or at both
      auto j = (i + 1 + static_cast<std::size_t>(rng() % (n - 1))) % n;
      bool both = rng() % 2 == 0;
      c.members[i].set_link_cut(c.name(j), true);
      if (both)
        c.members[j].set_link_cut(c.name(i), true);
      return {std::string{both ? "cut both sides of " : "cut one side of "} + c.name(i) + " / "
                + c.name(j),
              [&c, i, j, both] {
                c.members[i].set_link_cut(c.name(j), false);
                if (both)
                  c.members[j].set_link_cut(c.name(i), false);
              }};
    }
    case 3: { // leadership moves
      auto to = c.name(i);
      auto moved = c.members[(i + 1) % n].transfer_leadership(c.sys, to, 2s);
      return {"transfer leadership to " + to + (moved ? "" : " (refused: " + moved.error().message + ")"),
              [] {}};
    }
    default: { // the member's disk fails: its next fsyncs fail and it stops
      c.nodes[i]->kill_hard();
      auto after = std::to_string(2 + rng() % 20);
      c.restart(i, {"--failpoints-fail-fsync-after", after});
      return {"fsync of " + c.name(i) + " fails after " + after + " more",
              [&c, i] { c.restart(i); }};
    }
  }
}

void run_nemesis(std::size_t members) {
  auto seed = env_number("DREF_NEMESIS_SEED", std::random_device{}());
  auto seconds = env_number("DREF_NEMESIS_SECONDS", 15);
  std::cout << "nemesis: " << members << " members, " << seconds
            << " s, seed " << seed << " (DREF_NEMESIS_SEED=" << seed << " replays it)" << std::endl;
  BOOST_TEST_MESSAGE("seed " << seed);
  process_cluster c{members};
  auto setup = raft_member::connect(c.sys, {config::endpoint{"127.0.0.1", c.ports[0]}}, 10s);
  context setup_ctx{c.sys, setup, process_cluster::options()};
  std::vector<ref<std::int64_t>> refs;
  for (int k = 0; k < keys; ++k)
    refs.push_back(setup_ctx.make<std::int64_t>(0, manual_id(key_name(k))));

  // A watcher of every key through its own failover client.
  std::vector<config::endpoint> all;
  for (auto port : c.ports)
    all.push_back(config::endpoint{"127.0.0.1", port});
  auto watch_cluster = raft_member::connect(c.sys, all, 10s);
  context watch_ctx{c.sys, watch_cluster, process_cluster::options()};
  std::mutex seen_mutex;
  std::map<int, std::vector<std::pair<std::int64_t, std::int64_t>>> seen;
  std::vector<subscription> watches;
  for (int k = 0; k < keys; ++k)
    watches.push_back(watch_ctx.existing<std::int64_t>(manual_id(key_name(k)))
                        .on_change([&, k](std::int64_t old_value, std::int64_t value) {
                          std::lock_guard guard{seen_mutex};
                          seen[k].emplace_back(old_value, value);
                        }));

  histories recorded;
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  for (int id = 0; id < 4; ++id)
    clients.emplace_back([&, id] { run_client(c, id, seed + 1 + static_cast<std::uint64_t>(id), stop, recorded); });
  std::mutex holds_mutex;
  std::vector<hold> holds;
  for (int id = 0; id < 2; ++id)
    clients.emplace_back([&, id] {
      run_lock_holder(c, id, seed + 100 + static_cast<std::uint64_t>(id), stop, holds_mutex, holds);
    });

  std::mt19937_64 rng{seed};
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds{seconds};
  while (std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds{300 + rng() % 700});
    auto f = draw_fault(c, rng);
    auto lasts = std::chrono::milliseconds{200 + rng() % 1800};
    std::cout << "  nemesis: " << f.what << " for " << lasts.count() << " ms" << std::endl;
    std::this_thread::sleep_for(lasts);
    f.heal();
  }
  stop = true;
  for (auto& t : clients)
    t.join();

  // Quiet now: every member applies everything and they must agree.
  std::optional<std::size_t> leader = c.leader(20s);
  BOOST_REQUIRE_MESSAGE(leader, "a leader after the faults (seed " << seed << ")");
  std::map<int, std::int64_t> final_values;
  for (int k = 0; k < keys; ++k)
    final_values[k] = setup_ctx.existing<std::int64_t>(manual_id(key_name(k))).get();
  std::optional<std::uint64_t> digest;
  bool converged = false;
  for (int attempt = 0; attempt < 200 && !converged; ++attempt) {
    std::set<std::pair<std::uint64_t, std::uint64_t>> states; // (applied, digest)
    for (std::size_t i = 0; i < members; ++i) {
      auto st = c.members[i].status(c.sys, 2s, true);
      if (st)
        states.emplace(st->applied_index, st->state_digest);
    }
    converged = states.size() == 1;
    if (!converged)
      std::this_thread::sleep_for(50ms);
  }
  BOOST_TEST(converged, "members agree on applied index and state digest (seed " << seed << ")");

  std::size_t operations = 0, unknown = 0;
  for (auto& [key, history] : recorded.by_key) {
    operations += history.size();
    for (const auto& o : history)
      unknown += o.ret == test::unknown_return;
    // The final read belongs to the history too: nothing acknowledged lost.
    auto t = now_ns();
    history.push_back(op{t, t + 1, {model::kind::read, 0, 0}, {final_values[key], true}});
    auto verdict = test::linearizability_checker<model>{history}.check();
    std::cout << "  " << key_name(key) << ": " << history.size() << " operations, "
              << test::to_string(verdict) << std::endl;
    BOOST_TEST((verdict != test::verdict::violation),
               key_name(key) << " is not linearizable (seed " << seed << ")");
  }
  std::cout << "  " << operations << " operations, " << unknown << " with unknown outcome"
            << std::endl;
  BOOST_TEST(operations > 0u);

  // Lock holders never overlap, and every grant's token is larger than the
  // one before it.
  std::sort(holds.begin(), holds.end(), [](const hold& a, const hold& b) { return a.from < b.from; });
  std::size_t overlaps = 0, lost = 0;
  for (std::size_t i = 0; i < holds.size(); ++i) {
    lost += holds[i].lost;
    if (i == 0)
      continue;
    if (holds[i].from < holds[i - 1].to) {
      ++overlaps;
      std::cout << "  OVERLAP: token " << holds[i - 1].token << " held until "
                << holds[i - 1].to << ", token " << holds[i].token << " from " << holds[i].from
                << std::endl;
    }
    BOOST_TEST(holds[i].token > holds[i - 1].token,
               "fencing tokens go " << holds[i - 1].token << " then " << holds[i].token
                                    << " (seed " << seed << ")");
  }
  std::cout << "  nemesis/lock: " << holds.size() << " grants, " << lost
            << " reported lost, " << overlaps << " overlapping" << std::endl;
  BOOST_TEST(overlaps == 0u, "lock holders overlapped (seed " << seed << ")");
  BOOST_TEST(!holds.empty());

  // Watches: continuous, and every acknowledged write among them.
  for (int k = 0; k < keys; ++k) {
    bool current = false;
    for (int attempt = 0; attempt < 200 && !current; ++attempt) {
      {
        std::lock_guard guard{seen_mutex};
        current = !seen[k].empty() && seen[k].back().second == final_values[k];
      }
      if (!current)
        std::this_thread::sleep_for(50ms);
    }
    std::lock_guard guard{seen_mutex};
    BOOST_TEST(current, key_name(k) << "'s watch reached the final value (seed " << seed << ")");
    std::set<std::int64_t> values;
    std::size_t breaks = 0;
    for (std::size_t i = 0; i < seen[k].size(); ++i) {
      values.insert(seen[k][i].second);
      if (i > 0 && seen[k][i].first != seen[k][i - 1].second)
        ++breaks;
    }
    BOOST_TEST(breaks == 0u, key_name(k) << "'s watch broke off " << breaks << " times (seed " << seed << ")");
    std::size_t missed = 0;
    for (auto v : recorded.acknowledged_writes[k])
      missed += values.count(v) == 0;
    BOOST_TEST(missed == 0u, key_name(k) << "'s watch missed " << missed
                                         << " acknowledged writes (seed " << seed << ")");
  }
}

} // namespace

BOOST_AUTO_TEST_SUITE(nemesis)

BOOST_AUTO_TEST_CASE(three_members) { run_nemesis(3); }

BOOST_AUTO_TEST_CASE(five_members) { run_nemesis(5); }

BOOST_AUTO_TEST_SUITE_END()
