// The seed's replicated queue: enqueue from one node, dequeue from another,
// ask the length anywhere. Only a command's name and argument travel, never
// the queue, and each command runs once in the state machine, at its place
// in the log, on every replica.
//
//   replicated_queue
//       three nodes (contexts) on the memory backend, in this process
//   replicated_queue --members H:P,H:P,H:P --pids PID,PID,PID
//       three dref-node members started with --plugin (the library built
//       from queue_plugin.cpp), their pids in the same order: after the
//       dequeues the example kills the leader with SIGKILL and goes on; the
//       node that used it moves to a member that is left.
//
// It prints every answer and exits 1, printing "replicated_queue: ...",
// when one differs from the seed's: enqueue 1..5 -> 0..4 (the length
// before), dequeue -> 1, 2, enqueue 6 -> 3, length -> 4.

#include "dref/actors/node_system.hpp"
#include "dref/config/load.hpp"
#include "dref/context.hpp"
#include "queue_commands.hpp"

#include <caf/actor_system.hpp>
#include <csignal>
#include <cstdint>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/types.h>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using queue_example::queue_with_length;

namespace {

struct wrong_answer : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <class T>
void expect(const std::string& what, const T& got, const T& want) {
  if (got != want) {
    std::ostringstream message;
    message << what << " answered " << got << ", the seed's answer is " << want;
    throw wrong_answer(message.str());
  }
}

std::string show(const std::optional<std::int64_t>& v) {
  return v ? std::to_string(*v) : "nothing";
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> parts;
  std::istringstream in{text};
  for (std::string part; std::getline(in, part, ',');)
    parts.push_back(part);
  return parts;
}

// Three dref-node members: one client per node, each starting at its own
// member and moving on when that one fails, and a handle on each member
// alone to ask who leads.
struct members_cluster {
  std::vector<dref::config::endpoint> endpoints;
  std::vector<pid_t> pids;
  std::vector<dref::raft_member> clients;
  std::vector<dref::raft_member> each;

  members_cluster(caf::actor_system& sys, const std::string& members, const std::string& pid_list) {
    for (auto& text : split(members)) {
      auto ep = dref::config::parse_endpoint(text);
      if (!ep)
        throw std::invalid_argument("--members: " + ep.error().message);
      endpoints.push_back(*ep);
    }
    for (auto& text : split(pid_list))
      pids.push_back(static_cast<pid_t>(std::stol(text)));
    if (endpoints.size() != 3 || pids.size() != 3)
      throw std::invalid_argument("--members and --pids name three members each");
    for (std::size_t i = 0; i < 3; ++i) {
      std::vector<dref::config::endpoint> from_i;
      for (std::size_t k = 0; k < 3; ++k)
        from_i.push_back(endpoints[(i + k) % 3]);
      clients.push_back(dref::raft_member::connect(sys, from_i, 10s));
      each.push_back(dref::raft_member::connect(sys, endpoints[i].host, endpoints[i].port, 10s));
    }
  }

  // Kills the member that leads now; answers its index.
  std::size_t kill_leader(caf::actor_system& sys) {
    for (int attempt = 0; attempt < 100; ++attempt) {
      for (std::size_t i = 0; i < 3; ++i) {
        auto status = each[i].status(sys, 1s);
        if (status && status->role == "leader") {
          if (::kill(pids[i], SIGKILL) != 0)
            throw std::runtime_error("cannot kill member " + std::to_string(i + 1));
          return i;
        }
      }
      std::this_thread::sleep_for(50ms);
    }
    throw std::runtime_error("no member says it leads");
  }
};

void run(std::vector<std::unique_ptr<dref::context>>& nodes,
         const std::function<std::optional<std::size_t>()>& between) {
  const auto id = dref::manual_id("example/replicated-queue");
  nodes[0]->make<queue_with_length>({}, id);
  auto on = [&](std::size_t n) { return nodes[n]->existing<queue_with_length>(id); };

  for (std::int64_t v = 1; v <= 5; ++v) {
    auto before = on(0).command<std::int64_t>("queue.enqueue", v);
    std::cout << "node 1: enqueue " << v << " -> " << before.value << " (version " << before.version
              << ")\n";
    expect("enqueue " + std::to_string(v), before.value, v - 1);
  }
  for (std::int64_t want = 1; want <= 2; ++want) {
    auto taken = on(1).command<std::optional<std::int64_t>>("queue.dequeue");
    std::cout << "node 2: dequeue -> " << show(taken.value) << "\n";
    expect("dequeue", show(taken.value), show(want));
  }
  std::size_t next = 2;
  if (auto killed = between()) {
    std::cout << "member " << *killed + 1 << " (the leader) killed with SIGKILL" << std::endl;
    next = *killed; // the node whose member is gone goes on through another
  }
  // The argument goes as the type the command takes (a literal is an int).
  auto before = on(next).command<std::int64_t, std::int64_t>("queue.enqueue", 6);
  std::cout << "node " << next + 1 << ": enqueue 6 -> " << before.value << "\n";
  expect("enqueue 6", before.value, std::int64_t{3});
  for (std::size_t n = 0; n < 3; ++n) {
    auto length = on(n).query<std::int64_t>("queue.length");
    std::cout << "node " << n + 1 << ": length -> " << length.value << " (version "
              << length.version << ")\n";
    expect("length", length.value, std::int64_t{4});
  }
}

} // namespace

int main(int argc, char** argv) {
  std::string members;
  std::string pids;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--members")
      members = argv[i + 1];
    else if (flag == "--pids")
      pids = argv[i + 1];
  }
  if (argc % 2 == 0 || members.empty() != pids.empty()) {
    std::cerr << "usage: replicated_queue [--members H:P,H:P,H:P --pids PID,PID,PID]\n";
    return 2;
  }
  // Before any backend starts: the memory backend runs what is registered
  // by then. dref-node members load the same from the plugin.
  queue_example::register_queue_commands(dref::commands());

  dref::node_system_config cfg;
  caf::actor_system sys{cfg};
  try {
    std::vector<std::unique_ptr<dref::context>> nodes;
    if (members.empty()) {
      auto memory = dref::memory_backend::start(sys);
      for (int i = 0; i < 3; ++i)
        nodes.push_back(std::make_unique<dref::context>(sys, memory));
      run(nodes, [] { return std::nullopt; });
    } else {
      members_cluster cluster{sys, members, pids};
      dref::context_options options;
      options.request_timeout = 15s; // an election after the kill included
      for (auto& client : cluster.clients)
        nodes.push_back(std::make_unique<dref::context>(sys, client, options));
      run(nodes, [&] { return cluster.kill_leader(sys); });
    }
  } catch (const std::exception& e) {
    std::cerr << "replicated_queue: " << e.what() << "\n";
    return 1;
  }
  std::cout << "the seed's answers, every one" << std::endl;
  return 0;
}
