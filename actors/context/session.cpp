// The context's session: opened on first use, renewed in the background by
// a small actor that also keeps the client's own deadline
// (session_deadline.hpp; the contract is in docs/locks.md). When the
// deadline passes, the holders under the session are told at once and the
// session is never used again: the next lock or candidacy opens a new one.
#include "context_impl.hpp"
#include "dref/protocol/caf/type_ids.hpp"

#include <algorithm>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <cstdio>

namespace dref::detail {
namespace {

using protocol::tick_atom;
// The deadline's timer; it carries an epoch, since a delayed send cannot be
// cancelled when a renewal moves the deadline on.
using deadline_atom = caf::atom_constant<caf::atom("sdeadline")>;
using clock = session_deadline::clock;

void close_remotely(const backend::backend_actor& backend, const std::string& session) {
  caf::anon_send(backend, backend::propose_atom::value,
                 protocol::store_proposal{0, 0, 0, 0, protocol::cmd_session_close{session}});
}

// Renews every ttl/3 and, after a failed renewal, again after a short
// backoff (the deadline does not wait for the next round). The renewal's
// own timeout is ttl/3: a member that hangs is asked again while there is
// time left. The deadline timer is independent of the renewals, so a
// renewal stuck in flight cannot delay the report.
caf::behavior keepalive(caf::event_based_actor* self, backend::backend_actor backend,
                        std::shared_ptr<session_deadline> life) {
  using namespace std::chrono_literals;
  const auto every = life->ttl() / 3;
  const auto backoff =
      std::clamp(life->ttl() / 20, std::chrono::milliseconds{10}, std::chrono::milliseconds{200});
  auto epoch = std::make_shared<std::uint64_t>(0);
  auto until = [](clock::time_point at) {
    return std::max(std::chrono::duration_cast<std::chrono::milliseconds>(at - clock::now()), 0ms);
  };
  // The cluster hears that the session may go: best effort, whoever
  // receives it, since the holders were told already.
  auto lapsed = [self, backend, life] {
    close_remotely(backend, life->session());
    self->quit();
  };
  auto arm_deadline = [self, epoch, life, until] {
    self->delayed_send(self, until(life->deadline()), deadline_atom::value, ++*epoch);
  };
  arm_deadline();
  self->delayed_send(self, every, tick_atom::value);
  return {
      [=](tick_atom) {
        auto sent = clock::now();
        if (life->check(sent))
          return lapsed();
        self->request(backend, every, backend::propose_atom::value,
                      protocol::store_proposal{0, 0, 0, 0,
                                               protocol::cmd_session_keepalive{life->session()}})
            .then(
                [=](const protocol::store_reply& reply) {
                  if (reply.error && reply.error->code == errc::unknown_session) {
                    life->lapse();
                    return lapsed();
                  }
                  if (reply.error) {
                    self->delayed_send(self, backoff, tick_atom::value);
                    return;
                  }
                  if (!life->acknowledged(sent, clock::now()))
                    return lapsed();
                  arm_deadline();
                  self->delayed_send(self,
                                     std::max(every - (clock::now() - sent), clock::duration{0}),
                                     tick_atom::value);
                },
                [=](const caf::error&) { self->delayed_send(self, backoff, tick_atom::value); });
      },
      [=](deadline_atom, std::uint64_t armed) {
        if (armed != *epoch)
          return;
        if (life->check(clock::now()))
          return lapsed();
        arm_deadline(); // early by a tick of the timer
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
  return session_.life && !session_.life->lapsed(clock::now());
}

void context_impl::adopt_session(std::string name, session_deadline::clock::time_point opened) {
  if (session_.keepalive)
    caf::anon_send_exit(session_.keepalive, caf::exit_reason::user_shutdown);
  if (session_.life && !session_.life->lapsed(clock::now()))
    session_.life->retire();
  session_.life = std::make_shared<session_deadline>(std::move(name), options.session_ttl, opened);
  session_.keepalive = sys.spawn(keepalive, backend->actor, session_.life);
}

protocol::cmd_session_open context_impl::open_command(std::string name) const {
  return protocol::cmd_session_open{std::move(name),
                                    static_cast<std::uint64_t>(options.session_ttl.count())};
}

static error late_sessions_error(std::chrono::milliseconds ttl) {
  return error{errc::unavailable, "every session opened came back later than its TTL (" +
                                      std::to_string(ttl.count()) + " ms), so already lapsed"};
}

result<std::string> context_impl::session() {
  std::lock_guard guard{session_.mutex};
  for (int attempt = 0; attempt < open_attempts && !session_alive(); ++attempt) {
    // A lapsed one's keepalive closes it on the cluster at once.
    auto name = next_session_name();
    auto sent = clock::now();
    auto opened = propose(open_command(name), std::nullopt);
    if (!opened)
      return std::move(opened).error();
    adopt_session(std::move(name), sent);
  }
  if (!session_alive())
    return late_sessions_error(options.session_ttl);
  return session_.life->session();
}

// Opens without holding the mutex across the round trip: two actors may
// open one each; the first answer becomes the session and the other one is
// closed again.
void context_impl::async_session(caf::scheduled_actor* self,
                                 std::function<void(result<std::string>)> done, int attempts_left) {
  std::string name;
  bool alive = false;
  {
    std::lock_guard guard{session_.mutex};
    alive = session_alive();
    name = alive ? session_.life->session() : next_session_name();
  }
  if (alive)
    return done(name);
  if (attempts_left <= 0)
    return done(late_sessions_error(options.session_ttl));
  auto sent = clock::now();
  async_propose(self, open_command(name), std::nullopt,
                [self, weak = weak_from_this(), done, name, sent,
                 attempts_left](result<protocol::store_result> opened) {
                  auto ctx = weak.lock();
                  if (!ctx)
                    return done(shut_down_error());
                  if (!opened)
                    return done(std::move(opened).error());
                  std::string winner;
                  bool born_lapsed = false;
                  {
                    std::lock_guard guard{ctx->session_.mutex};
                    if (!ctx->session_alive())
                      ctx->adopt_session(name, sent);
                    // Answered later than the TTL: its keepalive lets it go.
                    born_lapsed = !ctx->session_alive();
                    winner = ctx->session_.life->session();
                  }
                  if (born_lapsed)
                    return ctx->async_session(self, done, attempts_left - 1);
                  if (winner != name)
                    close_remotely(ctx->backend->actor, name);
                  done(winner);
                });
}

std::shared_ptr<session_deadline> context_impl::deadline_of(const std::string& session) {
  std::lock_guard guard{session_.mutex};
  if (session_.life && session_.life->session() == session)
    return session_.life;
  return nullptr;
}

void context_impl::close_session(bool release) {
  std::lock_guard guard{session_.mutex};
  if (session_.keepalive) {
    caf::anon_send_exit(session_.keepalive, caf::exit_reason::user_shutdown);
    session_.keepalive = nullptr;
  }
  if (!session_.life)
    return;
  if (release && session_alive())
    (void)propose(protocol::cmd_session_close{session_.life->session()}, std::nullopt);
  session_.life->retire();
  session_.life.reset();
}

void context_impl::remember_lost_grant(const std::string& lock_id, std::uint64_t token) {
  std::lock_guard guard{lost_grants_.mutex};
  // Bounded: an unlock of a grant older than these is refused as
  // not_holder, which is still true.
  if (lost_grants_.by_token.size() >= 1024)
    lost_grants_.by_token.erase(lost_grants_.by_token.begin());
  lost_grants_.by_token.emplace(token, lock_id);
}

std::optional<error> context_impl::lost_grant_error(const std::string& lock_id,
                                                    std::uint64_t token) {
  if (stopped)
    return shut_down_error(); // what every call through it fails with first
  std::lock_guard guard{lost_grants_.mutex};
  auto it = lost_grants_.by_token.find(token);
  if (it == lost_grants_.by_token.end() || it->second != lock_id)
    return std::nullopt;
  return error{errc::session_expired, "lock '" + lock_id + "': the grant under fencing token " +
                                          std::to_string(token) +
                                          " was lost when its session lapsed"};
}

} // namespace dref::detail
