#pragma once
// A follower's forwards to the leader, gathered into batches: one message
// carries many proposals (protocol::proposal_batch) and one answer carries
// their outcomes, where each forward alone would cost a message each way.
// The node adds each forward as it is routed and sends what gathered with
// its next ready round, which it asks itself for (ready_atom) once the
// messages before it in the mailbox are handled: nothing waits for a batch
// to fill, and an idle link carries a batch of one. A batch goes at once
// when it is full (protocol::max_batch_items, or max_batch_bytes of
// encoded proposals) or when a forward to another leader comes.
//
// Time comes in as arguments; the proposals stay in proposal_tracker, by
// forward number, so a batch is only numbers.

#include "dref/protocol/store_batches.hpp"
#include "dref/raft/core/types.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace dref::raft::node {

class forward_batches {
public:
  using time_point = std::chrono::steady_clock::time_point;

  struct batch {
    core::node_id leader = core::no_node;
    std::vector<std::uint64_t> numbers; // forward numbers, in the order routed
    time_point deadline{};              // the latest of its proposals': the request's timeout
  };

  // Adds forward `number` (its proposal `bytes` long, encoded) for leader.
  // Returns what must be sent now: the batch gathered for another leader,
  // and this one when it is full.
  std::vector<batch> add(core::node_id leader, std::uint64_t number, std::size_t bytes,
                         time_point deadline) {
    std::vector<batch> out;
    if (!gathering_.numbers.empty() &&
        (gathering_.leader != leader || gathering_bytes_ + bytes > protocol::max_batch_bytes))
      out.push_back(take_gathered());
    gathering_.leader = leader;
    gathering_.numbers.push_back(number);
    gathering_.deadline = std::max(gathering_.deadline, deadline);
    gathering_bytes_ += bytes;
    if (gathering_.numbers.size() >= protocol::max_batch_items)
      out.push_back(take_gathered());
    return out;
  }

  // What gathered, to send now; nothing when nothing did.
  std::optional<batch> take() {
    if (gathering_.numbers.empty())
      return std::nullopt;
    return take_gathered();
  }

private:
  batch take_gathered() {
    auto out = std::move(gathering_);
    gathering_ = batch{};
    gathering_bytes_ = 0;
    return out;
  }

  batch gathering_;
  std::size_t gathering_bytes_ = 0;
};

} // namespace dref::raft::node
