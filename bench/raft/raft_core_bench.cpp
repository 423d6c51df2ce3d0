// raft_core_bench: how many entries per second three raft::core nodes commit
// when the network costs nothing (messages are handed over in memory at once)
// and storage is a vector: the cost of the core itself. Runs with proposal
// batching on and off and prints entries/s and messages per entry.
//
// Usage: raft_core_bench [entries] [payload bytes] [proposals per round]
#include "dref/raft/core/node.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace {

using namespace dref::raft::core;

struct figures {
  double seconds = 0;
  std::uint64_t committed = 0;
  std::uint64_t messages = 0;
};

class zero_latency_cluster {
public:
  explicit zero_latency_cluster(bool batch) {
    for (node_id id = 1; id <= 3; ++id) {
      config cfg;
      cfg.id = id;
      cfg.voters = {1, 2, 3};
      cfg.batch_proposals = batch;
      cfg.seed = 42;
      nodes_[id] = std::make_unique<node>(cfg);
    }
  }

  node& at(node_id id) { return *nodes_.at(id); }

  // Node 1 campaigns; everything is delivered until the election is over.
  void elect_first() {
    while (at(1).role() != role::leader) {
      at(1).tick();
      drain();
    }
  }

  // Hands every message over until nobody has anything left to do.
  void drain() {
    bool busy = true;
    while (busy) {
      busy = false;
      for (auto& [id, n] : nodes_) {
        if (!n->has_ready())
          continue;
        busy = true;
        auto rd = n->ready();
        for (auto& m : rd.messages_now)
          queue_.push_back(std::move(m));
        // "Persisting" is keeping the entries; nothing to wait for.
        stored_[id] += rd.entries.size();
        for (auto& m : rd.messages_after_persist)
          queue_.push_back(std::move(m));
        applied_[id] += rd.committed.size();
        n->advance(rd);
        // Compact now and then as an application would, so that the log
        // (and the bench) does not grow without bound.
        const auto& log = n->log();
        if (log.applied() >= log.snapshot_index() + compact_every)
          (void)n->compact(std::min(log.applied(), log.stable_index()), {});
      }
      while (!queue_.empty()) {
        busy = true;
        auto m = std::move(queue_.front());
        queue_.pop_front();
        ++messages_;
        nodes_.at(m.to)->step(m);
      }
    }
  }

  std::uint64_t messages() const { return messages_; }
  std::uint64_t applied(node_id id) const {
    auto found = applied_.find(id);
    return found == applied_.end() ? 0 : found->second;
  }

private:
  static constexpr std::uint64_t compact_every = 10000;
  std::map<node_id, std::unique_ptr<node>> nodes_;
  std::map<node_id, std::uint64_t> stored_;
  std::map<node_id, std::uint64_t> applied_;
  std::deque<message> queue_;
  std::uint64_t messages_ = 0;
};

figures run(bool batch, std::uint64_t entries, std::size_t payload, std::uint64_t per_round) {
  zero_latency_cluster c(batch);
  c.elect_first();
  const auto committed_before = c.at(1).log().committed();
  const auto messages_before = c.messages();
  const std::string data(payload, 'x');
  std::uint64_t sequence = 0;
  auto start = std::chrono::steady_clock::now();
  while (sequence < entries) {
    for (std::uint64_t i = 0; i < per_round && sequence < entries; ++i) {
      auto r = c.at(1).propose(1, ++sequence, data);
      if (!r) {
        std::fprintf(stderr, "proposal refused: %s\n", r.error().to_string().c_str());
        std::exit(1);
      }
    }
    c.drain();
  }
  auto stop = std::chrono::steady_clock::now();
  figures f;
  f.seconds = std::chrono::duration<double>(stop - start).count();
  f.committed = c.at(1).log().committed() - committed_before;
  f.messages = c.messages() - messages_before;
  return f;
}

} // namespace

int main(int argc, char** argv) {
  const std::uint64_t entries = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 200000;
  const std::size_t payload = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 64;
  const std::uint64_t per_round = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 64;
  std::printf("raft_core_bench: 3 nodes, zero-latency in-memory network, %llu entries of %zu "
              "bytes, %llu proposals per round\n",
              static_cast<unsigned long long>(entries), payload,
              static_cast<unsigned long long>(per_round));
  // One unmeasured run first: the allocator's first touches of fresh memory
  // (page faults) would otherwise be charged to whichever mode runs first.
  (void)run(true, entries / 4 + 1, payload, per_round);
  for (bool batch : {true, false}) {
    auto f = run(batch, entries, payload, per_round);
    std::printf("  batching %-3s  %10.0f entries/s committed  %6.2f messages/entry  (%llu "
                "entries in %.3f s)\n",
                batch ? "on" : "off", static_cast<double>(f.committed) / f.seconds,
                static_cast<double>(f.messages) / static_cast<double>(f.committed),
                static_cast<unsigned long long>(f.committed), f.seconds);
  }
  return 0;
}
