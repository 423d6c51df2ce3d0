// Values owned by a session: removed, each with its event, when the session
// ends. The contract is above protocol::cmd_set_owned.
#include "context.hpp"

namespace dref::store {

using namespace protocol;

result<store_result> store::on(context& ctx, const cmd_set_owned& cmd) {
  auto session = live_session(cmd.session);
  if (!session)
    return session.error();
  if (auto it = state_.values.find(cmd.id); it != state_.values.end() && cmd.if_absent)
    return res_created{false, it->second.version, it->second.value};
  set_owned_value(ctx, cmd.id, cmd.value, cmd.session, **session);
  return res_created{true, ctx.index, {}};
}

void store::set_owned_value(context& ctx, const std::string& id, const std::string& value,
                            const std::string& session_id, session_entry& session) {
  set_value(ctx, id, value);
  ctx.events.back().session = session_id;
  auto& entry = state_.values.find(id)->second;
  if (entry.owner != session_id) {
    disown(id, entry);
    entry.owner = session_id;
    session.owns.insert(id);
  }
}

void store::disown(const std::string& id, value_entry& entry) {
  if (entry.owner.empty())
    return;
  if (auto s = state_.sessions.find(entry.owner); s != state_.sessions.end())
    s->second.owns.erase(id);
  entry.owner.clear();
}

void store::erase_value(context& ctx, std::map<std::string, value_entry, std::less<>>::iterator it,
                        const std::string* ended_session) {
  disown(it->first, it->second);
  auto& e = ctx.emit(event_kind::value_removed, it->first);
  e.old_version = it->second.version;
  e.old_value = std::move(it->second.value);
  if (ended_session != nullptr)
    e.session = *ended_session;
  state_.values.erase(it);
}

void store::drop_owned_values(context& ctx, const std::string& session_id, session_entry& session) {
  // Each owner is cleared first, so that erase_value() (through disown())
  // leaves the set being walked alone.
  for (const auto& id : session.owns)
    if (auto it = state_.values.find(id); it != state_.values.end()) {
      it->second.owner.clear();
      erase_value(ctx, it, &session_id);
    }
  session.owns.clear();
}

} // namespace dref::store
