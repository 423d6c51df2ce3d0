// The nemesis suite: real dref-node processes (3, then 5) under faults
// drawn at random from a printed seed, used by client processes
// (nemesis_client.cpp) through the public API on several endpoints; the
// clients are paused among the faults too. After each run:
//   - every key's history is linearizable (tests/common/linearizability.hpp;
//     a search that runs out of budget is reported as inconclusive, not as a
//     violation), so no acknowledged write is lost;
//   - a watcher of each key saw every acknowledged write, once, in order,
//     each change following on from the one before, but those a catch-up
//     skipped (ref.hpp allows one where a failover outran the new member's
//     event history; each is placed by its version or times, and counted);
//   - lock holders that honour their loss never hold the lock at
//     overlapping times (both ends recorded by the holders), and fencing
//     tokens grow;
//   - all members end with equal state digests.
// DREF_NEMESIS_SECONDS (default 15) sets each run's length, DREF_NEMESIS_SEED
// replays a run.

#include "history_file.hpp"
#include "process_cluster.hpp"

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <csignal>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sys/wait.h>

using namespace dref;
using namespace std::chrono_literals;
using namespace dref::test::nemesis;
using test::process_cluster;

namespace {

std::uint64_t env_number(const char* name, std::uint64_t fallback) {
  const char* text = std::getenv(name);
  return text != nullptr && *text != '\0' ? std::stoull(text) : fallback;
}

constexpr int keys = 3;
std::string key_name(int k) {
  return "nemesis/k" + std::to_string(k);
}

// Every member's endpoint, client `id`'s own first member first.
std::string endpoints_from(const process_cluster& c, std::size_t id) {
  std::string out;
  for (std::size_t k = 0; k < c.ports.size(); ++k)
    out += (out.empty() ? "" : ",") + c.endpoint((k + id) % c.ports.size());
  return out;
}

// A client process and the file it records its history in.
struct client_process {
  std::string name;
  std::string history;
  std::unique_ptr<test::child_process> process;
};

client_process start_client(process_cluster& c, const std::string& mode, std::size_t id,
                            std::uint64_t seed) {
  client_process out;
  out.name = mode + "-client-" + std::to_string(id);
  out.history = (c.root / (out.name + ".history")).string();
  out.process = std::make_unique<test::child_process>(
      std::vector<std::string>{NEMESIS_CLIENT_BIN, mode, std::to_string(id), std::to_string(seed),
                               endpoints_from(c, id), out.history},
      (c.root / (out.name + ".log")).string());
  return out;
}

// A fault, applied and later healed.
struct fault {
  std::string what;
  std::function<void()> heal;
};

fault draw_fault(process_cluster& c, std::vector<client_process>& clients, std::mt19937_64& rng) {
  auto n = c.ports.size();
  auto i = static_cast<std::size_t>(rng() % n);
  switch (rng() % 6) {
    case 0: // crash, restart later from the data directory
      c.nodes[i]->kill_hard();
      return {"kill -9 " + c.name(i), [&c, i] { c.restart(i); }};
    case 1: { // a pause (a long GC, a stopped VM)
      ::kill(c.nodes[i]->pid(), SIGSTOP);
      auto pid = c.nodes[i]->pid();
      return {"SIGSTOP " + c.name(i), [pid] { ::kill(pid, SIGCONT); }};
    }
    case 2: { // a link cut: one way at i's side, or both ways at both sides
      using dir = raft_member::cut_direction;
      auto j = (i + 1 + static_cast<std::size_t>(rng() % (n - 1))) % n;
      auto way = rng() % 3;
      std::string what = c.name(i) +
                         (way == 0   ? " drops what it sends to "
                          : way == 1 ? " drops what it gets from "
                                     : " and its peer drop all between them: ") +
                         c.name(j);
      if (way == 2) {
        c.members[i].set_link_cut(c.name(j), true);
        c.members[j].set_link_cut(c.name(i), true);
      } else {
        c.members[i].set_link_cut(c.name(j), true, way == 0 ? dir::outgoing : dir::incoming);
      }
      return {"link cut: " + what, [&c, i, j] {
                c.members[i].set_link_cut(c.name(j), false);
                c.members[j].set_link_cut(c.name(i), false);
              }};
    }
    case 3: { // leadership moves
      auto to = c.name(i);
      auto moved = c.members[(i + 1) % n].transfer_leadership(c.sys, to, 2s);
      return {"transfer leadership to " + to +
                  (moved ? "" : " (refused: " + moved.error().message + ")"),
              [] {}};
    }
    case 4: { // a client process pauses (its session may lapse meanwhile)
      auto& client = clients[static_cast<std::size_t>(rng() % clients.size())];
      auto pid = client.process->pid();
      ::kill(pid, SIGSTOP);
      return {"SIGSTOP " + client.name, [pid] { ::kill(pid, SIGCONT); }};
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

// Lock holders never overlap, and every grant's token is larger than the
// one before it.
void check_holds(std::vector<hold> holds, std::uint64_t seed) {
  std::size_t unused = 0, lost = 0, overlaps = 0;
  lost = static_cast<std::size_t>(
      std::count_if(holds.begin(), holds.end(), [](const hold& h) { return h.lost; }));
  unused =
      static_cast<std::size_t>(std::erase_if(holds, [](const hold& h) { return h.from == 0; }));
  std::sort(holds.begin(), holds.end(),
            [](const hold& a, const hold& b) { return a.from < b.from; });
  for (std::size_t i = 1; i < holds.size(); ++i) {
    if (holds[i].from <= holds[i - 1].to) {
      ++overlaps;
      std::cout << "  OVERLAP: token " << holds[i - 1].token << " used until " << holds[i - 1].to
                << ", token " << holds[i].token << " from " << holds[i].from << std::endl;
    }
    BOOST_TEST(holds[i].token > holds[i - 1].token,
               "fencing tokens go " << holds[i - 1].token << " then " << holds[i].token << " (seed "
                                    << seed << ")");
  }
  std::cout << "  nemesis/lock: " << holds.size() + unused << " grants, " << lost << " found lost ("
            << unused << " before their first use), " << overlaps << " overlapping" << std::endl;
  BOOST_TEST(overlaps == 0u, "lock holders overlapped (seed " << seed << ")");
  BOOST_TEST(!holds.empty());
}

// One change a watcher saw: a write, or a catch-up from the last value it
// saw to the current one (ref.hpp: allowed where its new member's event
// history no longer reaches back to it).
struct seen_change {
  bool caught_up = false;
  std::int64_t old_value = 0;
  std::int64_t new_value = 0;
  std::uint64_t version = 0;
  std::uint64_t received_ns = 0;
};

// Whether a catch-up (seen[at]) can have skipped the acknowledged write w:
// w took effect after the change seen before it and at or before it. A
// set's version places it exactly; a compare-and-set's does not, so its
// times must allow it: called before the catch-up arrived, answered after
// the write of the value seen before it was called (w came after that write
// in the log). Values are unique per write; 0 is the initial value.
bool skipped_by_catch_up(const std::vector<seen_change>& seen, std::size_t at, const op& w,
                         const std::map<std::int64_t, op>& writes) {
  std::uint64_t after_version = at == 0 ? 0 : seen[at - 1].version;
  auto previous = seen[at].old_value;
  if (w.input.what == model::kind::write && w.output.value > 0) {
    auto version = static_cast<std::uint64_t>(w.output.value);
    return after_version < version && version <= seen[at].version;
  }
  auto before = writes.find(previous);
  bool after_previous = previous == 0 || before == writes.end() || w.ret > before->second.call;
  return w.call < seen[at].received_ns && after_previous;
}

// A watcher's record of one key: a chain (each change follows on from the
// one before), every acknowledged write in it but those a catch-up skipped.
void check_watch(const std::string& name, const std::vector<seen_change>& seen,
                 const std::map<std::int64_t, op>& writes, std::uint64_t seed) {
  std::set<std::int64_t> values;
  std::size_t breaks = 0, catch_ups = 0, skipped = 0, missed = 0;
  for (std::size_t i = 0; i < seen.size(); ++i) {
    values.insert(seen[i].new_value);
    catch_ups += seen[i].caught_up;
    if (i > 0 && seen[i].old_value != seen[i - 1].new_value)
      ++breaks;
  }
  for (const auto& [value, w] : writes) {
    if (values.count(value) != 0)
      continue;
    bool excused = false;
    for (std::size_t i = 0; i < seen.size() && !excused; ++i)
      excused = seen[i].caught_up && skipped_by_catch_up(seen, i, w, writes);
    if (excused) {
      ++skipped;
    } else {
      ++missed;
      std::cout << "  MISSED: " << name << " = " << value << " ("
                << (w.input.what == model::kind::write ? "set, version " : "cas, ")
                << w.output.value << ")" << std::endl;
    }
  }
  std::cout << "  " << name << "'s watch: " << seen.size() << " changes, " << catch_ups
            << " catch-ups skipping " << skipped << " acknowledged writes" << std::endl;
  BOOST_TEST(breaks == 0u,
             name << "'s watch broke off " << breaks << " times (seed " << seed << ")");
  BOOST_TEST(missed == 0u, name << "'s watch missed " << missed
                                << " acknowledged writes no catch-up covers (seed " << seed << ")");
}

void run_nemesis(std::size_t members) {
  auto seed = env_number("DREF_NEMESIS_SEED", std::random_device{}());
  auto seconds = env_number("DREF_NEMESIS_SECONDS", 15);
  std::cout << "nemesis: " << members << " members, " << seconds << " s, seed " << seed
            << " (DREF_NEMESIS_SEED=" << seed << " replays it)" << std::endl;
  BOOST_TEST_MESSAGE("seed " << seed);
  process_cluster c{members};
  auto setup = raft_member::connect(c.sys, {config::endpoint{"127.0.0.1", c.ports[0]}}, 10s);
  context setup_ctx{c.sys, setup, process_cluster::options()};
  for (int k = 0; k < keys; ++k)
    setup_ctx.make<std::int64_t>(0, manual_id(key_name(k)));

  // A watcher of every key through its own failover client.
  std::vector<config::endpoint> all;
  for (auto port : c.ports)
    all.push_back(config::endpoint{"127.0.0.1", port});
  auto watch_cluster = raft_member::connect(c.sys, all, 10s);
  context watch_ctx{c.sys, watch_cluster, process_cluster::options()};
  std::mutex seen_mutex;
  std::map<int, std::vector<seen_change>> seen;
  std::vector<subscription> watches;
  for (int k = 0; k < keys; ++k)
    watches.push_back(watch_ctx.existing<std::int64_t>(manual_id(key_name(k)))
                          .on_change([&, k](const change<std::int64_t>& event) {
                            bool a_write = event.kind == change_kind::written ||
                                           event.kind == change_kind::caught_up;
                            if (!a_write || !event.old_value || !event.new_value)
                              return;
                            std::lock_guard guard{seen_mutex};
                            seen[k].push_back(seen_change{event.kind == change_kind::caught_up,
                                                          *event.old_value, *event.new_value,
                                                          event.new_version, now_ns()});
                          }));

  std::vector<client_process> clients;
  for (std::size_t id = 0; id < 4; ++id)
    clients.push_back(start_client(c, "values", id, seed + 1 + id));
  for (std::size_t id = 0; id < 2; ++id)
    clients.push_back(start_client(c, "lock", id, seed + 100 + id));

  std::mt19937_64 rng{seed};
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds{seconds};
  while (std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds{300 + rng() % 700});
    auto f = draw_fault(c, clients, rng);
    auto lasts = std::chrono::milliseconds{200 + rng() % 1800};
    std::cout << "  nemesis: " << f.what << " for " << lasts.count() << " ms" << std::endl;
    std::this_thread::sleep_for(lasts);
    f.heal();
  }
  // SIGTERM ends each client after its call under way (5 s at most).
  for (auto& client : clients)
    ::kill(client.process->pid(), SIGTERM);
  histories recorded;
  for (auto& client : clients) {
    int status = client.process->stop(10s);
    BOOST_TEST((WIFEXITED(status) && WEXITSTATUS(status) == 0),
               client.name << " ended with status " << status << ": "
                           << test::file_text(c.root / (client.name + ".log")));
    read_history(client.history, recorded);
  }
  BOOST_TEST(recorded.malformed_lines == 0u);

  // Quiet now: every member applies everything and they must agree.
  std::optional<std::size_t> leader = c.leader(20s);
  BOOST_REQUIRE_MESSAGE(leader, "a leader after the faults (seed " << seed << ")");
  std::map<int, std::int64_t> final_values;
  for (int k = 0; k < keys; ++k)
    final_values[k] = setup_ctx.existing<std::int64_t>(manual_id(key_name(k))).get();
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
  std::map<int, std::map<std::int64_t, op>> acknowledged; // by written value, unique per write
  for (auto& [key, history] : recorded.by_key) {
    operations += history.size();
    for (const auto& o : history) {
      unknown += o.ret == test::unknown_return;
      if (acknowledged_write(o))
        acknowledged[key].emplace(o.input.value, o);
    }
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
  check_holds(recorded.holds, seed);

  // Watches: continuous, and every acknowledged write among them.
  for (int k = 0; k < keys; ++k) {
    bool current = false;
    for (int attempt = 0; attempt < 200 && !current; ++attempt) {
      {
        std::lock_guard guard{seen_mutex};
        current = !seen[k].empty() && seen[k].back().new_value == final_values[k];
      }
      if (!current)
        std::this_thread::sleep_for(50ms);
    }
    std::lock_guard guard{seen_mutex};
    BOOST_TEST(current, key_name(k) << "'s watch reached the final value (seed " << seed << ")");
    check_watch(key_name(k), seen[k], acknowledged[k], seed);
  }
}

} // namespace

BOOST_AUTO_TEST_SUITE(nemesis)

BOOST_AUTO_TEST_CASE(three_members) {
  run_nemesis(3);
}

BOOST_AUTO_TEST_CASE(five_members) {
  run_nemesis(5);
}

BOOST_AUTO_TEST_SUITE_END()
