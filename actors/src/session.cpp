// The context's session: opened on first use, renewed in the background by
// a small actor. If a renewal finds the session gone (it lapsed: a long
// pause, a partition), the next lock opens a new one; guards of the old one
// learn of the loss through their lock_lost events.
#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <cstdio>

#include "backend/messages.hpp"
#include "context_impl.hpp"
#include "dref/protocol/caf/type_ids.hpp"

namespace dref::detail {
namespace {

caf::behavior keepalive(caf::event_based_actor* self, caf::actor backend, std::string session,
                        std::chrono::milliseconds ttl, std::shared_ptr<std::atomic<bool>> alive) {
  self->send(self, backend::tick_atom::value);
  return {
    [=](backend::tick_atom) {
      self
        ->request(backend, ttl, backend::propose_atom::value,
                  protocol::store_proposal{0, 0, 0, 0, protocol::cmd_session_keepalive{session}})
        .then(
          [=](const protocol::store_reply& reply) {
            if (reply.error && reply.error->code == errc::unknown_session) {
              *alive = false;
              self->quit();
            }
          },
          [](const caf::error&) {}); // the next round tries again
      self->delayed_send(self, ttl / 3, backend::tick_atom::value);
    },
  };
}

} // namespace

result<std::string> context_impl::session() {
  std::lock_guard guard{session_mutex_};
  if (!session_id_.empty() && session_alive_ && *session_alive_)
    return session_id_;
  if (keepalive_)
    caf::anon_send_exit(keepalive_, caf::exit_reason::user_shutdown);
  char name[64];
  std::snprintf(name, sizeof(name), "session-%016llx-%llu",
                static_cast<unsigned long long>(client_id),
                static_cast<unsigned long long>(++session_generation_));
  auto opened = propose(protocol::cmd_session_open{name, static_cast<std::uint64_t>(
                                                            options.session_ttl.count())},
                        std::nullopt);
  if (!opened)
    return std::move(opened).error();
  session_id_ = name;
  session_alive_ = std::make_shared<std::atomic<bool>>(true);
  keepalive_ = sys.spawn(keepalive, backend->actor, session_id_, options.session_ttl,
                         session_alive_);
  return session_id_;
}

void context_impl::close_session(bool release) {
  std::lock_guard guard{session_mutex_};
  if (keepalive_) {
    caf::anon_send_exit(keepalive_, caf::exit_reason::user_shutdown);
    keepalive_ = nullptr;
  }
  if (release && !session_id_.empty() && session_alive_ && *session_alive_)
    (void)propose(protocol::cmd_session_close{session_id_}, std::nullopt);
  session_id_.clear();
}

context_impl::~context_impl() {
  if (keepalive_)
    caf::anon_send_exit(keepalive_, caf::exit_reason::user_shutdown);
  for (auto& [id, actor] : ref_actors_)
    caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
}

} // namespace dref::detail
