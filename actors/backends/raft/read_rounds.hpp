#pragma once
// Linearizable reads on one member (ReadIndex, Raft dissertation 6.4). A read
// waits in a queue for the next round; one round at a time is in flight,
// asking the leader for its commit index under a context string and carrying
// every read queued until it started; once the leader confirmed the round at
// an index, its reads wait until the state machine applied that index. A
// round whose confirmation never comes (leader change, dropped message) goes
// back to the queue once it is older than an age limit in ticks. Reads in the
// queue or waiting for the apply fail at their deadline; reads in a round in
// flight only once their round went back to the queue.
//
// Read is what the caller needs to answer a read (a response promise and the
// request in the node actor); time comes in as arguments, never from a clock.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace dref::raft::node {

template <class Read>
class read_rounds {
public:
  using time_point = std::chrono::steady_clock::time_point;

  void enqueue(Read read, time_point deadline) {
    queue_.push_back(waiting{std::move(read), deadline});
  }

  // No round in flight and reads waiting for one.
  bool round_wanted() const { return !round_ && !queue_.empty(); }
  bool round_in_flight() const { return round_.has_value(); }

  // The context of the next round: "r1", "r2", ... Each call uses up one
  // number, whether or not the round then starts.
  std::string next_context() { return "r" + std::to_string(++rounds_); }

  // The leader was asked under context: every queued read goes with it.
  void start(std::string context) {
    round_.emplace(std::move(context), std::move(queue_));
    queue_.clear();
    age_ = 0;
  }

  // The leader confirmed the round under context at index (a confirmation
  // of an older round, retried since, is ignored).
  void confirmed(const std::string& context, std::uint64_t index) {
    if (!round_ || round_->first != context)
      return;
    for (auto& w : round_->second)
      after_apply_.emplace(index, std::move(w));
    round_.reset();
  }

  // The reads that may be served now that applied is applied, by index.
  std::vector<Read> take_servable(std::uint64_t applied) {
    std::vector<Read> out;
    while (!after_apply_.empty() && after_apply_.begin()->first <= applied) {
      out.push_back(std::move(after_apply_.begin()->second.read));
      after_apply_.erase(after_apply_.begin());
    }
    return out;
  }

  // The reads whose deadline passed at now: queued ones first, then those
  // waiting for the apply.
  std::vector<Read> take_expired(time_point now) {
    std::vector<Read> out;
    std::erase_if(queue_, [&](waiting& w) { return late(w, now, out); });
    for (auto it = after_apply_.begin(); it != after_apply_.end();)
      it = late(it->second, now, out) ? after_apply_.erase(it) : std::next(it);
    return out;
  }

  // One tick passed. A round older than max_age ticks is taken as lost: its
  // reads go back to the queue for the next round. True when that happened.
  bool age(int max_age) {
    if (!round_ || ++age_ <= max_age)
      return false;
    for (auto& w : round_->second)
      queue_.push_back(std::move(w));
    round_.reset();
    return true;
  }

  std::size_t queued() const { return queue_.size(); }
  std::size_t waiting_for_apply() const { return after_apply_.size(); }

private:
  struct waiting {
    Read read;
    time_point deadline;
  };

  static bool late(waiting& w, time_point now, std::vector<Read>& out) {
    if (now < w.deadline)
      return false;
    out.push_back(std::move(w.read));
    return true;
  }

  std::vector<waiting> queue_;
  std::optional<std::pair<std::string, std::vector<waiting>>> round_;
  int age_ = 0;
  std::uint64_t rounds_ = 0;
  std::multimap<std::uint64_t, waiting> after_apply_;
};

} // namespace dref::raft::node
