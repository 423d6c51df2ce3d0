// The context's session: opened on first use, renewed in the background by
// a small actor. If a renewal finds the session gone (it lapsed: a long
// pause, a partition), the next lock opens a new one; guards of the old one
// learn of the loss through their lock_lost events.
#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <cstdio>

#include "context_impl.hpp"
#include "dref/protocol/caf/type_ids.hpp"

namespace dref::detail {
namespace {

using protocol::tick_atom;

caf::behavior keepalive(caf::event_based_actor* self, backend::backend_actor backend,
                        std::string session, std::chrono::milliseconds ttl,
                        std::shared_ptr<std::atomic<bool>> alive) {
  self->send(self, tick_atom::value);
  return {
    [=](tick_atom) {
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
      self->delayed_send(self, ttl / 3, tick_atom::value);
    },
  };
}

} // namespace

std::string context_impl::next_session_name() {
  char name[64];
  std::snprintf(name, sizeof(name), "session-%016llx-%llu",
                static_cast<unsigned long long>(client_id),
                static_cast<unsigned long long>(++session_.generation));
  return name;
}

bool context_impl::session_alive() const {
  return !session_.id.empty() && session_.alive && *session_.alive;
}

void context_impl::adopt_session(std::string name) {
  if (session_.keepalive)
    caf::anon_send_exit(session_.keepalive, caf::exit_reason::user_shutdown);
  session_.id = std::move(name);
  session_.alive = std::make_shared<std::atomic<bool>>(true);
  session_.keepalive = sys.spawn(keepalive, backend->actor, session_.id, options.session_ttl,
                                 session_.alive);
}

protocol::cmd_session_open context_impl::open_command(std::string name) const {
  return protocol::cmd_session_open{std::move(name),
                                    static_cast<std::uint64_t>(options.session_ttl.count())};
}

result<std::string> context_impl::session() {
  std::lock_guard guard{session_.mutex};
  if (session_alive())
    return session_.id;
  auto name = next_session_name();
  auto opened = propose(open_command(name), std::nullopt);
  if (!opened)
    return std::move(opened).error();
  adopt_session(std::move(name));
  return session_.id;
}

// Opens without holding the mutex across the round trip: two actors may
// open one each; the first answer becomes the session and the other one is
// closed again.
void context_impl::async_session(caf::scheduled_actor* self,
                                 std::function<void(result<std::string>)> done) {
  std::string name;
  bool alive = false;
  {
    std::lock_guard guard{session_.mutex};
    alive = session_alive();
    name = alive ? session_.id : next_session_name();
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
                    std::lock_guard guard{ctx->session_.mutex};
                    if (!ctx->session_alive())
                      ctx->adopt_session(name);
                    winner = ctx->session_.id;
                  }
                  if (winner != name)
                    caf::anon_send(ctx->backend->actor, backend::propose_atom::value,
                                   protocol::store_proposal{0, 0, 0, 0,
                                                            protocol::cmd_session_close{name}});
                  done(winner);
                });
}

void context_impl::close_session(bool release) {
  std::lock_guard guard{session_.mutex};
  if (session_.keepalive) {
    caf::anon_send_exit(session_.keepalive, caf::exit_reason::user_shutdown);
    session_.keepalive = nullptr;
  }
  if (release && session_alive())
    (void)propose(protocol::cmd_session_close{session_.id}, std::nullopt);
  session_.id.clear();
}

} // namespace dref::detail
