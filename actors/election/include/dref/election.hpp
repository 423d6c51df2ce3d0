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
// next term, or resign(), waits for them). A term ends, and is_leader()
// turns false, no later than one session TTL after the start of the last
// renewal the cluster acknowledged, before anyone else can be elected
// (docs/locks.md: the client keeps its own deadline, also across a pause of
// its process). Work already sent on its way by a leader that was paused
// should still be fenced with fencing_token(), as with locks.
//
// From an actor, pass `self` first: nothing blocks and every callback runs
// in the actor's own context. e.leader(self) -> pending<optional<string>>;
// e.when_elected(self, on_elected, on_ended) runs on_elected(cancellation)
// at the start of each term and on_ended() when that term ends (check
// stop.cancelled() in work the actor schedules for itself: a term may have
// ended by the time on_elected runs); e.observe(self, fn) ->
// pending<subscription>; e.resign(self) -> pending<void>, answered once
// the lock is released; e.proclaim(self, value) -> pending<void>. An
// election_observer has the same actor forms.

#include "dref/cancellation.hpp"
#include "dref/pending.hpp"
#include "dref/protocol/result.hpp"
#include "dref/subscription.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace dref {

// What a leader announced with election::proclaim (etcd's Proclaim): who,
// in which term (its fencing token), and the bytes.
struct proclamation {
  std::string candidate;
  std::uint64_t token = 0;
  std::string value;
  friend bool operator==(const proclamation&, const proclamation&) = default;
};

namespace detail {
struct election_state;
struct context_impl;

// From actors (election_async.cpp); callbacks run in self's context.
void election_leader(const std::shared_ptr<election_state>& state, caf::scheduled_actor* self,
                     std::function<void(result<std::optional<std::string>>)> done);
void election_when_elected(const std::shared_ptr<election_state>& state, caf::scheduled_actor* self,
                           std::function<void(cancellation)> on_elected,
                           std::function<void()> on_ended);
void election_observe(const std::shared_ptr<election_state>& state, caf::scheduled_actor* self,
                      std::function<void(std::optional<std::string>)> fn,
                      std::function<void(result<subscription>)> done);
void election_resign(const std::shared_ptr<election_state>& state, caf::scheduled_actor* self,
                     std::function<void(result<void>)> done);
void election_proclaim(const std::shared_ptr<election_state>& state, caf::scheduled_actor* self,
                       std::string value, std::function<void(result<void>)> done);
void election_resign_to(const std::shared_ptr<election_state>& state, caf::scheduled_actor* self,
                        std::string to, std::function<void(result<void>)> done);
// The same reads and watches for an observer, by the election's lock id.
void observed_leader(const std::shared_ptr<context_impl>& ctx, const std::string& lock_id,
                     caf::scheduled_actor* self,
                     std::function<void(result<std::optional<std::string>>)> done);
void observed_leaders(const std::shared_ptr<context_impl>& ctx, const std::string& lock_id,
                      caf::scheduled_actor* self,
                      std::function<void(std::optional<std::string>)> fn,
                      std::function<void(result<subscription>)> done);
void observed_proclamation(const std::shared_ptr<context_impl>& ctx, const std::string& lock_id,
                           caf::scheduled_actor* self,
                           std::function<void(result<std::optional<proclamation>>)> done);
void observed_proclamations(const std::shared_ptr<context_impl>& ctx, const std::string& lock_id,
                            caf::scheduled_actor* self, std::function<void(const proclamation&)> fn,
                            std::function<void(result<subscription>)> done);
} // namespace detail

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

  // The leader announces value to everyone observing the election
  // (election_observer::proclaimed), in its term: a write fenced by this
  // term's token, so only while this candidate still leads (else
  // errc::not_holder, thrown, and nothing is written). A new term starts
  // with no proclamation until its leader proclaims.
  void proclaim(const std::string& value);

  // Steps down (if leading) and queues again behind the other candidates;
  // returns once this term's callbacks returned, the lock is released and
  // this candidate is back in the queue (so one who resigns after it
  // queues behind it).
  void resign();
  // Hands leadership over to `to`, a candidate in line, ahead of those
  // before it (etcd has no such call; Consul and Raft's leadership
  // transfer do): resign() whose lock passes to `to`. Refused, and nothing
  // changes, while this candidate does not lead (errc::not_holder) or when
  // `to` is not in line (errc::not_found). A `to` that leaves the line
  // between that check and the handover: the next in line leads, as after
  // resign(). Blocking: throws error_exception.
  void resign_to(const std::string& to);
  // Stops campaigning for good (what the destructor does).
  void leave();

  // --- from actors (Self: any CAF scheduled actor).
  template <class Self>
  pending<std::optional<std::string>> leader(Self* self) const {
    return pending<std::optional<std::string>>{
        [state = state_, scheduled = detail::as_scheduled(self)](
            std::function<void(result<std::optional<std::string>>)> done) {
          detail::election_leader(state, scheduled, std::move(done));
        }};
  }
  // on_elected at once (in self's context) if this candidate leads already.
  // Registrations last as long as the election handle, or until self
  // terminates.
  template <class Self>
  void when_elected(Self* self, std::function<void(cancellation)> on_elected,
                    std::function<void()> on_ended = {}) {
    detail::election_when_elected(state_, detail::as_scheduled(self), std::move(on_elected),
                                  std::move(on_ended));
  }
  // Like observe(fn), with fn called in self's context; the pending answers
  // once the watch is in place and fn has seen the current leader.
  template <class Self>
  pending<subscription> observe(Self* self,
                                std::function<void(std::optional<std::string>)> fn) const {
    return pending<subscription>{
        [state = state_, scheduled = detail::as_scheduled(self),
         fn = std::move(fn)](std::function<void(result<subscription>)> done) {
          detail::election_observe(state, scheduled, fn, std::move(done));
        }};
  }
  // Like proclaim(value): answers once written, or with not_holder when
  // this candidate does not lead (nothing written).
  template <class Self>
  pending<void> proclaim(Self* self, const std::string& value) {
    return pending<void>{[state = state_, scheduled = detail::as_scheduled(self),
                          value](std::function<void(result<void>)> done) {
      detail::election_proclaim(state, scheduled, value, std::move(done));
    }};
  }
  // Like resign(): answers once this term's thread callbacks returned, the
  // lock is released and this candidate is queued again (at once when not
  // leading).
  template <class Self>
  pending<void> resign(Self* self) {
    return pending<void>{[state = state_, scheduled = detail::as_scheduled(self)](
                             std::function<void(result<void>)> done) {
      detail::election_resign(state, scheduled, std::move(done));
    }};
  }

  // Like resign_to(to), answered as resign(self) is.
  template <class Self>
  pending<void> resign_to(Self* self, std::string to) {
    return pending<void>{[state = state_, scheduled = detail::as_scheduled(self),
                          to = std::move(to)](std::function<void(result<void>)> done) {
      detail::election_resign_to(state, scheduled, to, std::move(done));
    }};
  }

private:
  std::shared_ptr<detail::election_state> state_;
};

// An election seen without standing in it (etcd's Observe): from any node,
// its leader and what the leader proclaimed. Made by
// context::observe_election; blocking, errors thrown as error_exception, or
// from actors (below).
class election_observer {
public:
  election_observer(std::shared_ptr<detail::context_impl> ctx, std::string name);

  const std::string& name() const noexcept { return name_; }
  // The current leader (linearizable read); nullopt while nobody leads.
  std::optional<std::string> leader() const;
  // The current term's proclamation; nullopt while nobody leads or the
  // leader has not proclaimed yet in this term.
  std::optional<proclamation> proclaimed() const;
  // fn(leader) on every change of leader, starting with the current one
  // (as election::observe).
  [[nodiscard]] subscription observe(std::function<void(std::optional<std::string>)> fn) const;
  // fn(p) for every proclamation from now on, of any term (compare p.token
  // with the term you follow). On a CAF worker thread: keep it short.
  [[nodiscard]] subscription on_proclaimed(std::function<void(const proclamation&)> fn) const;

  // --- from actors (Self: any CAF scheduled actor): the same, nothing
  // blocks, errors as error answers, fn called in self's context; a watch's
  // pending answers once it is in place (observe: once fn has seen the
  // current leader).
  template <class Self>
  pending<std::optional<std::string>> leader(Self* self) const {
    return pending<std::optional<std::string>>{
        [ctx = ctx_, lock_id = lock_id_, scheduled = detail::as_scheduled(self)](
            std::function<void(result<std::optional<std::string>>)> done) {
          detail::observed_leader(ctx, lock_id, scheduled, std::move(done));
        }};
  }
  template <class Self>
  pending<std::optional<proclamation>> proclaimed(Self* self) const {
    return pending<std::optional<proclamation>>{
        [ctx = ctx_, lock_id = lock_id_, scheduled = detail::as_scheduled(self)](
            std::function<void(result<std::optional<proclamation>>)> done) {
          detail::observed_proclamation(ctx, lock_id, scheduled, std::move(done));
        }};
  }
  template <class Self>
  pending<subscription> observe(Self* self,
                                std::function<void(std::optional<std::string>)> fn) const {
    return pending<subscription>{
        [ctx = ctx_, lock_id = lock_id_, scheduled = detail::as_scheduled(self),
         fn = std::move(fn)](std::function<void(result<subscription>)> done) {
          detail::observed_leaders(ctx, lock_id, scheduled, fn, std::move(done));
        }};
  }
  template <class Self>
  pending<subscription> on_proclaimed(Self* self,
                                      std::function<void(const proclamation&)> fn) const {
    return pending<subscription>{
        [ctx = ctx_, lock_id = lock_id_, scheduled = detail::as_scheduled(self),
         fn = std::move(fn)](std::function<void(result<subscription>)> done) {
          detail::observed_proclamations(ctx, lock_id, scheduled, fn, std::move(done));
        }};
  }

private:
  std::shared_ptr<detail::context_impl> ctx_;
  std::string name_;
  std::string lock_id_;
};

} // namespace dref
