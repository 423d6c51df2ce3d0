// Sessions: a client's liveness. Everything a session holds (locks, waits,
// delay runs, values it owns) goes when it closes or its deadline passes in
// leader time.
#include "context.hpp"

namespace dref::store {

using namespace protocol;

result<session_entry*> store::live_session(std::string_view id) {
  auto it = state_.sessions.find(id);
  if (it == state_.sessions.end())
    return error{errc::unknown_session, "session '" + std::string{id} +
                                            "' is not open (never opened, closed, or expired)"};
  return &it->second;
}

result<store_result> store::on(context& ctx, const cmd_session_open& cmd) {
  if (state_.sessions.count(cmd.session) != 0)
    return error{errc::already_exists, "session '" + cmd.session + "' is open already"};
  auto& session = state_.sessions[cmd.session];
  session.ttl_ms = cmd.ttl_ms;
  session.deadline_ms = ctx.now_ms + cmd.ttl_ms;
  deadlines_.emplace(session.deadline_ms, cmd.session);
  auto& e = ctx.emit(event_kind::session_opened, cmd.session);
  e.session = cmd.session;
  e.number = session.deadline_ms;
  return res_session{session.deadline_ms};
}

result<store_result> store::on(context& ctx, const cmd_session_keepalive& cmd) {
  auto session = live_session(cmd.session);
  if (!session)
    return session.error();
  session_entry& s = **session;
  deadlines_.erase({s.deadline_ms, cmd.session});
  s.deadline_ms = ctx.now_ms + s.ttl_ms;
  deadlines_.emplace(s.deadline_ms, cmd.session);
  return res_session{s.deadline_ms};
}

result<store_result> store::on(context& ctx, const cmd_session_close& cmd) {
  if (auto session = live_session(cmd.session); !session)
    return session.error();
  end_session(ctx, cmd.session, false);
  return res_done{};
}

result<store_result> store::on(context&, const cmd_expire_due&) {
  return res_done{}; // apply() expired what was due before dispatching
}

void store::end_session(context& ctx, const std::string& id, bool expired) {
  auto it = state_.sessions.find(id);
  if (it == state_.sessions.end())
    return;
  session_entry& session = it->second;
  drop_lock_holdings(ctx, id, session, expired);
  for (const auto& delay_id : session.runs) {
    auto& delay = state_.delays[delay_id];
    delay.runner.clear();
    auto& e = ctx.emit(event_kind::delay_released, delay_id);
    e.session = id;
  }
  drop_owned_values(ctx, id, session);
  deadlines_.erase({session.deadline_ms, id});
  auto& e = ctx.emit(expired ? event_kind::session_expired : event_kind::session_closed, id);
  e.session = id;
  state_.sessions.erase(it);
}

result<session_state> store::session(std::string_view id) const {
  auto it = state_.sessions.find(id);
  if (it == state_.sessions.end())
    return error{errc::unknown_session, "session '" + std::string{id} +
                                            "' is not open (never opened, closed, or expired)"};
  return session_state{it->second.ttl_ms, it->second.deadline_ms};
}

} // namespace dref::store
