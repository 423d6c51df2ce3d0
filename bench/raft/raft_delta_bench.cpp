// Bytes on the wire for one-field changes of a 1 MB value on a 3-member
// cluster of dref-node processes: this process is the writing client, a
// second one (this program again, "--watch") watches the value with
// on_change(old, new) through another member. The kernel counts the bytes
// of every loopback socket (socket_bytes.hpp); per change, printed next to
// the whole value's size and the goal (each at most 1% of the value, after
// the first read):
//   client -> members, members -> client, member <-> member (all links),
//   members -> watcher.
// Phases: blocking update(), set() of a value one field away (a patch
// against the client's copy), update_and_get from an actor, and updates
// taking turns between this client's blocking calls and a second client's
// actor (each finds the value moved on by the other). Prints
// figures; asserts nothing, except that the watcher saw every change with
// the exact (old, new) pair (exit 1 otherwise).
//
//   raft_delta_bench [changes-per-phase=20] [value-bytes=1000000]
//
// DREF_NODE_BIN overrides the dref-node the build points at.

#include "bench_cluster.hpp"
#include "dref/actors/node_system.hpp"
#include "socket_bytes.hpp"

#include <atomic>
#include <caf/event_based_actor.hpp>
#include <fstream>
#include <future>
#include <set>

using namespace std::chrono;
using dref::bench::cluster;
using big = std::vector<std::int64_t>;

namespace {

const std::string value_id = "bench/delta";

// The watcher: counts changes whose old value is the previous new one and
// writes the count to `count_file` after each (and -1 on a wrong pair).
int watch_main(const std::vector<std::uint16_t>& ports, const std::string& count_file) {
  dref::config::node_config node;
  dref::node_system_config cfg{node};
  caf::actor_system sys{cfg};
  std::vector<dref::config::endpoint> endpoints;
  for (auto port : ports)
    endpoints.push_back(dref::config::endpoint{"127.0.0.1", port});
  auto client = dref::raft_member::connect(sys, endpoints, seconds{10});
  dref::context ctx{sys, client};
  auto r = ctx.existing<big>(dref::manual_id(value_id));
  std::mutex mutex;
  std::optional<big> previous;
  long count = 0;
  auto publish = [&](long n) {
    std::ofstream out{count_file + ".tmp"};
    out << n << "\n";
    out.close();
    std::filesystem::rename(count_file + ".tmp", count_file);
  };
  auto watch = r.on_change([&](const big& old_value, const big& now) {
    std::lock_guard guard{mutex};
    bool in_order = !previous || *previous == old_value;
    previous = now;
    count = in_order && count >= 0 ? count + 1 : -1;
    publish(count);
  });
  publish(0);
  while (true) // until the bench stops this process
    std::this_thread::sleep_for(seconds{1});
}

long read_count(const std::string& file) {
  std::ifstream in{file};
  long n = -2;
  in >> n;
  return n;
}

struct link_bytes {
  double client_out = 0, client_in = 0, members = 0, watcher_in = 0;
};

link_bytes classify(const dref::bench::socket_counts& d, int client_pid, int watcher_pid,
                    const std::set<int>& member_ports) {
  link_bytes b;
  for (const auto& [key, c] : d) {
    if (key.pid == client_pid) {
      b.client_out += static_cast<double>(c.sent);
      b.client_in += static_cast<double>(c.received);
    } else if (key.pid == watcher_pid) {
      b.watcher_in += static_cast<double>(c.received);
    } else if (member_ports.contains(key.local_port) || member_ports.contains(key.peer_port)) {
      b.members += static_cast<double>(c.sent); // each member's sends, every link
    }
  }
  return b;
}

} // namespace

int run(int argc, char** argv);

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "raft_delta_bench: %s\n", e.what());
    return 1;
  }
}

int run(int argc, char** argv) {
  if (argc > 1 && std::string{argv[1]} == "--watch") {
    std::vector<std::uint16_t> ports;
    std::stringstream list{argv[2]};
    for (std::string p; std::getline(list, p, ',');)
      ports.push_back(static_cast<std::uint16_t>(std::stoi(p)));
    return watch_main(ports, argv[3]);
  }
  int changes = argc > 1 ? std::stoi(argv[1]) : 20;
  std::size_t value_bytes = argc > 2 ? std::stoul(argv[2]) : 1'000'000;
  dref::config::node_config node;
  dref::node_system_config cfg{node};
  caf::actor_system sys{cfg};
  cluster c{sys, "delta", {}};
  int leader = c.wait_for_leader();
  int writer_member = (leader + 1) % 3; // a follower: its proposals go on to the leader
  int watcher_member = (leader + 2) % 3;
  auto client = dref::raft_member::connect(sys, c.endpoints_from(writer_member), seconds{10});
  dref::context_options options;
  options.request_timeout = seconds{30};
  dref::context ctx{sys, client, options};
  big initial(value_bytes / sizeof(std::int64_t));
  for (std::size_t i = 0; i < initial.size(); ++i)
    initial[i] = static_cast<std::int64_t>(i * 2654435761u);
  auto r = ctx.make<big>(initial, dref::manual_id(value_id));
  auto encoded = dref::binary_codec<big>::encode(initial).size();

  std::string count_file = (c.root() / "watched-count").string();
  std::string ports;
  for (auto e : c.endpoints_from(watcher_member))
    ports += (ports.empty() ? "" : ",") + std::to_string(e.port);
  dref::test::child_process watcher{{"/proc/self/exe", "--watch", ports, count_file},
                                    (c.root() / "watcher.log").string()};
  auto wait_for_count = [&](long n) {
    auto deadline = steady_clock::now() + seconds{60};
    while (steady_clock::now() < deadline) {
      auto got = read_count(count_file);
      if (got == -1)
        throw std::runtime_error("the watcher saw a change whose old value was not the previous "
                                 "new one");
      if (got >= n)
        return;
      std::this_thread::sleep_for(milliseconds{5});
    }
    throw std::runtime_error("the watcher saw " + std::to_string(read_count(count_file)) +
                             " changes, not " + std::to_string(n));
  };
  wait_for_count(0);
  long expected = 0;
  std::size_t field = 0;
  auto touch = [&](big v) {
    v[(field++ * 7919) % v.size()] += 1;
    return v;
  };
  // The first read of the value and the watcher's first event (its old
  // value travels once) are outside the figures.
  r.update(touch);
  r.update(touch);
  expected += 2;
  wait_for_count(expected);

  std::set<int> pids{static_cast<int>(::getpid()), static_cast<int>(watcher.pid())};
  for (int pid : c.member_pids())
    pids.insert(pid);
  std::set<int> member_ports;
  for (auto e : c.endpoints_from(0))
    member_ports.insert(e.port + 1);

  std::printf("bytes per one-field change of a %zu-byte value (3 dref-node members, fsync on; "
              "goal: each <= 1%% = %zu bytes):\n",
              encoded, encoded / 100);
  std::printf("  %-36s %14s %14s %16s %14s\n", "", "client->members", "members->client",
              "member<->member", "to watcher");
  bool all_met = true;
  // per_run: changes each run makes.
  auto phase = [&](const char* name, const std::function<void()>& run, int per_run = 1) {
    auto before = dref::bench::count_sockets(pids);
    for (int i = 0; i < changes; ++i)
      run();
    expected += changes * per_run;
    wait_for_count(expected);
    std::this_thread::sleep_for(milliseconds{200}); // the members' last acknowledgements
    auto after = dref::bench::count_sockets(pids);
    auto b = classify(dref::bench::difference(before, after), static_cast<int>(::getpid()),
                      static_cast<int>(watcher.pid()), member_ports);
    double n = changes * per_run;
    double goal = static_cast<double>(encoded) / 100;
    bool met = b.client_out / n <= goal && b.client_in / n <= goal && b.members / n <= goal &&
               b.watcher_in / n <= goal;
    all_met = all_met && met;
    std::printf("  %-36s %14.0f %14.0f %16.0f %14.0f   %s\n", name, b.client_out / n,
                b.client_in / n, b.members / n, b.watcher_in / n, met ? "met" : "NOT met");
  };
  phase("update()", [&] { r.update(touch); });
  // What this program last wrote, one field changed each time (the writes
  // before it were its own).
  big mine = r.get();
  phase("set() one field away", [&] {
    mine = touch(std::move(mine));
    r.set(mine);
  });
  // One update from an actor through `handle`'s context, waited for.
  auto actor_update = [&](const dref::ref<big>& handle) {
    std::promise<void> done;
    auto f = done.get_future();
    auto worker = sys.spawn([&handle, &touch, &done](caf::event_based_actor* a) -> caf::behavior {
      handle.update_and_get(a, touch).then(
          [&done, a](const big&) {
            done.set_value();
            a->quit();
          },
          [&done, a](const dref::error& e) {
            std::fprintf(stderr, "actor update: %s\n", e.to_string().c_str());
            done.set_value();
            a->quit();
          });
      return {[](int) {}};
    });
    f.wait();
  };
  phase("update_and_get(self, f)", [&] { actor_update(r); });
  // A second client that only ever updates from actors, taking turns with
  // the first: each of its rounds finds the value moved on by the other.
  auto second = dref::raft_member::connect(sys, c.endpoints_from(writer_member), seconds{10});
  dref::context other_ctx{sys, second, options};
  auto r2 = other_ctx.existing<big>(dref::manual_id(value_id));
  actor_update(r2); // its first read of the value starts its copy
  r.update(touch);
  expected += 2;
  wait_for_count(expected);
  phase(
      "turns: update() and an actor elsewhere",
      [&] {
        r.update(touch);
        actor_update(r2);
      },
      2);
  std::printf("  whole value: %zu bytes; goals %s\n", encoded, all_met ? "met" : "NOT all met");
  return 0;
}
