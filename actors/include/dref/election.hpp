#pragma once
// Leader election among candidates on any nodes, built on a distributed
// lock named after the election: the holder leads, the others queue in
// FIFO order. Leadership ends when the leader resigns, leaves, or its
// session lapses (crash, long pause, partition): the next candidate in the
// queue is elected at once.
//
//   auto e = ctx.join_election(manual_id("scheduler"), "node-a");
//   e.when_elected([](dref::cancellation stop) {
//     while (!stop.wait_for(1s)) run_scheduled_jobs();
//   });
//
// when_elected callbacks run on a thread of their own, once per term of
// leadership, and must return soon after their cancellation fires (the
// next term, or resign(), waits for them). Work done by a leader that may
// have lost its session without knowing (a long GC-like pause) should be
// fenced with fencing_token(), as with locks.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "dref/cancellation.hpp"
#include "dref/subscription.hpp"

namespace dref {

namespace detail {
struct election_state;
}

class election {
public:
  explicit election(std::shared_ptr<detail::election_state> state);
  election(election&&) noexcept = default;
  election& operator=(election&&) noexcept;
  ~election();

  const std::string& name() const;
  const std::string& candidate() const;

  // This candidate leads right now, as far as this node has heard (never
  // blocks).
  bool is_leader() const noexcept;
  // The fencing token of the current term; 0 when not leading.
  std::uint64_t fencing_token() const noexcept;
  // The current leader's candidate name, read from the backend; nullopt
  // while nobody leads. Throws dref::error_exception on backend errors.
  std::optional<std::string> leader() const;

  // fn(cancellation) runs each time this candidate is elected (at once if
  // it leads already); the cancellation fires when that term ends.
  void when_elected(std::function<void(cancellation)> fn);
  // fn(leader) on every change of leader (nullopt: nobody leads for the
  // moment, e.g. between a resignation and the next grant), starting with
  // the current one. On a CAF worker thread: keep it short.
  [[nodiscard]] subscription observe(std::function<void(std::optional<std::string>)> fn) const;

  // Steps down (if leading) and queues again behind the other candidates;
  // returns once this term's callbacks returned and the lock is released.
  void resign();
  // Stops campaigning for good (what the destructor does).
  void leave();

private:
  std::shared_ptr<detail::election_state> state_;
};

} // namespace dref
