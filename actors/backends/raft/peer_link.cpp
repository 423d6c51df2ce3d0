#include "peer_link.hpp"

#include "dref/log.hpp"
#include "dref/net/transport.hpp"
#include "dref/protocol/caf/atoms.hpp"
#include "dref/protocol/caf/type_ids.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <string>

namespace dref::raft::node {
namespace {

// The greeting and the limits go over a connection that is already up, so
// their answers take a round trip. When two members dial each other at the
// same moment, CAF keeps one of the two connections and a greeting sent on
// the other is lost without an error (seen with TLS, where the handshakes
// widen the window: the link sat out the whole dial_timeout, 2 s, before it
// dialled again). So the wait starts short and doubles with each failure, up
// to dial_timeout for a member that is truly slow to answer.
constexpr std::chrono::milliseconds first_greeting_timeout{250};

struct link_state {
  caf::actor node;
  config::endpoint target;
  protocol::hello local;
  protocol::limits_offer limits;
  caf::actor remote;
  std::string remote_name;
  bool cut = false;
  std::uint64_t attempt = 0; // tags redial timers and requests of one dial
  std::chrono::milliseconds backoff{50};
  std::chrono::milliseconds greeting_timeout = first_greeting_timeout;
  std::string last_complaint; // said once, not on every redial
  static inline const char* name = "dref.peer_link";
};

using link_actor = caf::stateful_actor<link_state>;

constexpr std::chrono::milliseconds max_backoff{1000};
constexpr std::chrono::seconds dial_timeout{2};

// Peers start in any order, so the first failed dials are normal: a link
// speaks up once it has backed off all the way, and once per distinct cause.
void complain(link_actor* self, const std::string& what) {
  if (self->state.backoff < max_backoff || what == self->state.last_complaint)
    return;
  self->state.last_complaint = what;
  log(log_level::warn,
      "link " + self->state.local.node_id + " -> " + self->state.target.to_string() + ": " + what);
}

void schedule_redial(link_actor* self) {
  auto attempt = ++self->state.attempt;
  self->delayed_send(self, self->state.backoff, redial_atom::value, attempt);
  self->state.backoff = std::min(self->state.backoff * 2, max_backoff);
}

void offer_limits(link_actor* self, std::uint64_t attempt, caf::actor remote,
                  std::string remote_name);

// A step of dial attempt `attempt` failed: say why and dial again later
// (unless a newer attempt took over meanwhile).
void attempt_failed(link_actor* self, std::uint64_t attempt, const std::string& why) {
  if (attempt != self->state.attempt)
    return;
  complain(self, why);
  schedule_redial(self);
}

// The greeting or the limits went unanswered on a connection that is up:
// the next attempt waits longer for them (first_greeting_timeout). A member
// that is not listening yet does not count: that fails at the connect.
void greeting_failed(link_actor* self, std::uint64_t attempt, const std::string& why) {
  if (attempt == self->state.attempt)
    self->state.greeting_timeout =
        std::min<std::chrono::milliseconds>(self->state.greeting_timeout * 2, dial_timeout);
  attempt_failed(self, attempt, why);
}

void dial(link_actor* self) {
  auto attempt = self->state.attempt;
  auto mm = net::connector(self->home_system());
  // Members know each other by client address; they talk on the port above.
  auto member_port = config::member_port_of(self->state.target);
  self->request(mm, dial_timeout, caf::connect_atom::value, member_port.host, member_port.port)
      .then(
          [self, attempt](const caf::node_id&, caf::strong_actor_ptr& ptr,
                          const std::set<std::string>&) {
            if (attempt != self->state.attempt)
              return;
            auto remote = caf::actor_cast<caf::actor>(ptr);
            if (!remote)
              return attempt_failed(self, attempt, "nothing is published there");
            if (remote == self->state.node) {
              self->send(self->state.node, link_self_atom::value, self->state.target.to_string());
              self->quit();
              return;
            }
            self->request(remote, self->state.greeting_timeout, self->state.local)
                .then(
                    [self, attempt, remote](const protocol::hello_reply& reply) {
                      if (attempt != self->state.attempt)
                        return;
                      if (reply.refusal)
                        return attempt_failed(self, attempt, "refused: " + reply.refusal->message);
                      offer_limits(self, attempt, remote, reply.node_id);
                    },
                    [self, attempt](const caf::error& err) {
                      greeting_failed(self, attempt,
                                      "no greeting: " + self->home_system().render(err));
                    });
          },
          [self, attempt](const caf::error& err) {
            attempt_failed(self, attempt,
                           "cannot connect: " +
                               net::describe_dial_failure(self->home_system(), err));
          });
}

// Greeted: the member must also apply entries under the same limits.
void offer_limits(link_actor* self, std::uint64_t attempt, caf::actor remote,
                  std::string remote_name) {
  self->request(remote, self->state.greeting_timeout, self->state.limits)
      .then(
          [self, attempt, remote, remote_name](const protocol::hello_reply& reply) {
            if (attempt != self->state.attempt)
              return;
            if (reply.refusal)
              return attempt_failed(self, attempt, "refused: " + reply.refusal->message);
            self->state.remote = remote;
            self->state.remote_name = remote_name;
            self->state.backoff = std::chrono::milliseconds{50};
            self->state.greeting_timeout = first_greeting_timeout;
            self->state.last_complaint.clear();
            self->monitor(remote);
            self->send(self->state.node, link_up_atom::value, self->state.target.to_string(),
                       remote_name, remote);
          },
          [self, attempt](const caf::error& err) {
            greeting_failed(self, attempt,
                            "no answer to the limits: " + self->home_system().render(err));
          });
}

caf::behavior peer_link(link_actor* self, caf::actor node, config::endpoint target,
                        protocol::hello local, protocol::limits_offer limits) {
  self->state.node = std::move(node);
  self->state.target = std::move(target);
  self->state.local = std::move(local);
  self->state.limits = std::move(limits);
  self->set_down_handler([self](const caf::down_msg& down) {
    if (down.source != self->state.remote.address())
      return;
    self->state.remote = nullptr;
    self->send(self->state.node, link_down_atom::value, self->state.target.to_string(),
               self->state.remote_name);
    schedule_redial(self);
  });
  dial(self);
  return {
      [self](protocol::raft_message& msg) {
        if (self->state.remote && !self->state.cut)
          self->send(self->state.remote, std::move(msg));
      },
      [self](redial_atom, std::uint64_t attempt) {
        if (attempt == self->state.attempt && !self->state.remote)
          dial(self);
      },
      [self](protocol::fault_atom, bool cut) { self->state.cut = cut; },
  };
}

} // namespace

caf::actor spawn_peer_link(caf::local_actor* node, config::endpoint target, protocol::hello local,
                           protocol::limits_offer limits) {
  return node->spawn<caf::linked>(peer_link, caf::actor_cast<caf::actor>(node), std::move(target),
                                  std::move(local), std::move(limits));
}

} // namespace dref::raft::node
