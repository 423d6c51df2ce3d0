#pragma once
// The admin requests a leader runs until they are decided: membership
// changes, by the log index of their config entry, answered once that index
// is applied (an error when another leader's entry took it: the change did
// not happen), and at most one leadership transfer, answered once its target
// leads. Each fails at its deadline; a transfer that does, must be cancelled
// in the Raft core by the caller.
//
// A member that knows no reachable leader (it just restarted, or an election
// is on) parks the admin requests it would forward, until a leader is known
// or their deadline: then they fail as not done, so that an operator never
// has to race an election (etcd's members wait for a leader the same way).
//
// Waiter is what answers the caller (a response promise in the node actor);
// time comes in as arguments, never from a clock.

#include "dref/protocol/admin.hpp"
#include "dref/raft/core/types.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace dref::raft::node {

template <class Waiter>
class admin_waits {
public:
  using time_point = std::chrono::steady_clock::time_point;
  using answer = std::pair<Waiter, protocol::admin_reply>;

  // --- membership changes
  void wait_for_change(std::uint64_t index, Waiter waiter, time_point deadline) {
    changes_.emplace(index, wait{std::move(waiter), deadline});
  }

  // Index was applied; config_entry: it holds a membership change (ours:
  // one leader proposes one entry per index and only changes wait here).
  std::optional<answer> applied(std::uint64_t index, bool config_entry) {
    auto it = changes_.find(index);
    if (it == changes_.end())
      return std::nullopt;
    protocol::admin_reply reply;
    if (!config_entry)
      reply.error = error{errc::unavailable, "leadership changed before the membership change "
                                             "committed; it did not happen: try again"};
    answer out{std::move(it->second.waiter), std::move(reply)};
    changes_.erase(it);
    return out;
  }

  // --- leadership transfer
  bool transferring() const { return transfer_.has_value(); }

  void wait_for_transfer(core::node_id to, Waiter waiter, time_point deadline) {
    transfer_.emplace(to, wait{std::move(waiter), deadline});
  }

  // The member leading now: the transfer's answer once it is its target.
  std::optional<answer> leader_is(core::node_id leader) {
    if (!transfer_ || transfer_->first != leader)
      return std::nullopt;
    answer out{std::move(transfer_->second.waiter), protocol::admin_reply{}};
    transfer_.reset();
    return out;
  }

  // --- requests parked until a leader is reachable
  using admin_request = std::variant<protocol::member_change, protocol::leader_transfer>;
  struct parked {
    admin_request request;
    Waiter waiter;
  };

  // refusal: the answer at the deadline (it says that nothing was done).
  void park(admin_request request, Waiter waiter, time_point deadline, std::string refusal) {
    parked_.push_back(
        {parked{std::move(request), std::move(waiter)}, deadline, std::move(refusal)});
  }
  bool any_parked() const { return !parked_.empty(); }
  // All parked requests, in arrival order, to be handled again.
  std::vector<parked> take_parked() {
    std::vector<parked> out;
    for (auto& p : parked_)
      out.push_back(std::move(p.what));
    parked_.clear();
    return out;
  }

  // --- deadlines
  struct expired {
    std::vector<answer> answers; // membership changes by index, parked requests, the transfer
    bool transfer_expired = false;
  };

  expired take_expired(time_point now) {
    expired out;
    for (auto it = changes_.begin(); it != changes_.end();) {
      if (now < it->second.deadline) {
        ++it;
        continue;
      }
      out.answers.emplace_back(
          std::move(it->second.waiter),
          protocol::admin_reply{error{errc::timeout, "the membership change was not committed in "
                                                     "time; its outcome is unknown (see members "
                                                     "list)"}});
      it = changes_.erase(it);
    }
    for (auto it = parked_.begin(); it != parked_.end();) {
      if (now < it->deadline) {
        ++it;
        continue;
      }
      out.answers.emplace_back(std::move(it->what.waiter),
                               protocol::admin_reply{error{errc::unavailable, it->refusal}});
      it = parked_.erase(it);
    }
    if (transfer_ && now >= transfer_->second.deadline) {
      out.answers.emplace_back(
          std::move(transfer_->second.waiter),
          protocol::admin_reply{error{errc::timeout, "leadership did not move in time"}});
      out.transfer_expired = true;
      transfer_.reset();
    }
    return out;
  }

  std::size_t changes_waiting() const { return changes_.size(); }

private:
  struct wait {
    Waiter waiter;
    time_point deadline;
  };

  struct parked_until {
    parked what;
    time_point deadline;
    std::string refusal;
  };

  std::map<std::uint64_t, wait> changes_; // by the index of the config entry
  std::vector<parked_until> parked_;      // in arrival order
  std::optional<std::pair<core::node_id, wait>> transfer_;
};

} // namespace dref::raft::node
