#pragma once
// An election candidate as a typed CAF actor: spawn_election_actor(sys, ctx,
// name, candidate) joins the election `name` as `candidate` and returns a
// dref::election_actor that any actor may request
//
//   (election_is_leader_atom)         -> bool         this candidate leads now
//   (election_leader_atom)            -> std::string  the leader, read from the
//                                                     backend; empty: nobody
//   (election_resign_atom)            -> void         steps down and queues again;
//                                                     answered once released
//   (election_watch_atom, actor)                      the listener is sent
//       (election_elected_atom, std::string candidate, uint64_t token) when
//       this candidate's term starts (at once if it leads) and
//       (election_ended_atom, std::string candidate, uint64_t token) when it
//       ends (loss, resignation), until the listener goes down
//
// Failures arrive as caf::error in dref's category (dref::from_caf_error).
// The candidate campaigns as long as the actor lives: an exit message makes
// it leave the election (the next candidate in line is elected).
//
// This header includes CAF; election.hpp does not.

#include "dref/actors/detail/deliver_to.hpp"
#include "dref/context.hpp"
#include "dref/election.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/atom.hpp>
#include <caf/delegated.hpp>
#include <caf/send.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <memory>
#include <vector>

namespace dref {

using election_is_leader_atom = caf::atom_constant<caf::atom("eisleader")>;
using election_leader_atom = caf::atom_constant<caf::atom("eleader")>;
using election_resign_atom = caf::atom_constant<caf::atom("eresign")>;
using election_watch_atom = caf::atom_constant<caf::atom("ewatch")>;
using election_elected_atom = caf::atom_constant<caf::atom("eelected")>;
using election_ended_atom = caf::atom_constant<caf::atom("eended")>;

using election_actor = caf::typed_actor<caf::replies_to<election_is_leader_atom>::with<bool>,
                                        caf::replies_to<election_leader_atom>::with<std::string>,
                                        caf::replies_to<election_resign_atom>::with<void>,
                                        caf::reacts_to<election_watch_atom, caf::actor>>;

namespace detail {

struct election_actor_state {
  std::shared_ptr<election> candidacy;
  std::vector<caf::actor> listeners;
  std::uint64_t term_token = 0; // of the term in progress, 0 between terms

  template <class Atom>
  void tell(Atom kind, std::uint64_t token) const {
    for (const auto& l : listeners)
      caf::anon_send(l, kind, candidacy->candidate(), token);
  }
};

inline election_actor::behavior_type election_actor_behavior(election_actor::pointer self,
                                                             std::shared_ptr<election> candidacy) {
  auto st = std::make_shared<election_actor_state>();
  st->candidacy = std::move(candidacy);
  // The candidacy keeps its callbacks: weak references, or the state would
  // keep itself (and the campaign) alive after the actor is gone.
  std::weak_ptr<election_actor_state> weak = st;
  st->candidacy->when_elected(
      self,
      [weak](cancellation) {
        // 0: that term is over already; its end is not told either.
        if (auto alive = weak.lock();
            alive && (alive->term_token = alive->candidacy->fencing_token()) != 0)
          alive->tell(election_elected_atom::value, alive->term_token);
      },
      [weak] {
        if (auto alive = weak.lock(); alive && alive->term_token != 0) {
          alive->tell(election_ended_atom::value, alive->term_token);
          alive->term_token = 0;
        }
      });
  self->set_down_handler([st](caf::down_msg& down) {
    std::erase_if(st->listeners, [&](const caf::actor& l) { return l.address() == down.source; });
  });
  return {
      [st](election_is_leader_atom) { return st->candidacy->is_leader(); },
      [self, st](election_leader_atom) {
        auto answer = self->make_response_promise<std::string>();
        deliver_to(pending<std::string>{[self, st](std::function<void(result<std::string>)> done) {
                     st->candidacy->leader(self).then(
                         [done](std::optional<std::string> leader) { done(leader.value_or("")); },
                         [done](const error& e) { done(e); });
                   }},
                   answer);
        return answer;
      },
      [self, st](election_resign_atom) -> caf::delegated<void> {
        deliver_to(st->candidacy->resign(self), self->make_response_promise());
        return {};
      },
      [self, st](election_watch_atom, caf::actor listener) {
        if (!listener)
          return;
        self->monitor(listener);
        st->listeners.push_back(listener);
        if (st->term_token != 0)
          caf::anon_send(listener, election_elected_atom::value, st->candidacy->candidate(),
                         st->term_token);
      },
  };
}

} // namespace detail

// Joins the election through ctx (kept alive by the candidacy) and returns
// the actor serving the candidacy. Throws error_exception like
// context::join_election (bad candidate name, context shut down).
inline election_actor spawn_election_actor(caf::actor_system& sys, context& ctx,
                                           const dref::id& name, std::string candidate = {}) {
  auto candidacy = std::make_shared<election>(ctx.join_election(name, std::move(candidate)));
  return sys.spawn(detail::election_actor_behavior, std::move(candidacy));
}

} // namespace dref
