// The context's session: opened on first use, renewed in the background by
// a small actor. If a renewal finds the session gone (it lapsed: a long
// pause, a partition), the next lock opens a new one; guards of the old one
// learn of the loss through their lock_lost events.
#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <cstdio>

#include "dref/backends/seam/messages.hpp"
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

std::string context_impl::next_session_name() {
  char name[64];
  std::snprintf(name, sizeof(name), "session-%016llx-%llu",
                static_cast<unsigned long long>(client_id),
                static_cast<unsigned long long>(++session_generation_));
  return name;
}

bool context_impl::session_alive() const {
  return !session_id_.empty() && session_alive_ && *session_alive_;
}

void context_impl::adopt_session(std::string name) {
  if (keepalive_)
    caf::anon_send_exit(keepalive_, caf::exit_reason::user_shutdown);
  session_id_ = std::move(name);
  session_alive_ = std::make_shared<std::atomic<bool>>(true);
  keepalive_ = sys.spawn(keepalive, backend->actor, session_id_, options.session_ttl,
                         session_alive_);
}

protocol::cmd_session_open context_impl::open_command(std::string name) const {
  return protocol::cmd_session_open{std::move(name),
                                    static_cast<std::uint64_t>(options.session_ttl.count())};
}

result<std::string> context_impl::session() {
  std::lock_guard guard{session_mutex_};
  if (session_alive())
    return session_id_;
  auto name = next_session_name();
  auto opened = propose(open_command(name), std::nullopt);
  if (!opened)
    return std::move(opened).error();
  adopt_session(std::move(name));
  return session_id_;
}

// Opens without holding the mutex across the round trip: two actors may
// open one each; the first answer becomes the session and the other one is
// closed again.
void context_impl::async_session(caf::scheduled_actor* self,
                                 std::function<void(result<std::string>)> done) {
  std::string name;
  bool alive = false;
  {
    std::lock_guard guard{session_mutex_};
    alive = session_alive();
    name = alive ? session_id_ : next_session_name();
  }
  if (alive)
    return done(name);
  async_propose(self, open_command(name), std::nullopt,
                [weak = weak_from_this(), done, name](result<protocol::store_result> opened) {
                  auto ctx = weak.lock();
                  if (!ctx)
                    return done(shut_down_error());
                  if (!opened)
                    return done(std::move(opened).error());
                  std::string winner;
                  {
                    std::lock_guard guard{ctx->session_mutex_};
                    if (!ctx->session_alive())
                      ctx->adopt_session(name);
                    winner = ctx->session_id_;
                  }
                  if (winner != name)
                    caf::anon_send(ctx->backend->actor, backend::propose_atom::value,
                                   protocol::store_proposal{0, 0, 0, 0,
                                                            protocol::cmd_session_close{name}});
                  done(winner);
                });
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
