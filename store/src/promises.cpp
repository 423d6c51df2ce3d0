// Promises (delivered once) and delays (run by exactly one live session).
#include "context.hpp"

namespace dref::store {

using namespace protocol;

result<store_result> store::on(context& ctx, const cmd_promise_deliver& cmd) {
  if (auto it = state_.promises.find(cmd.id); it != state_.promises.end())
    return res_delivered{false, it->second.version, it->second.value};
  state_.promises[cmd.id] = promise_state{true, ctx.index, cmd.value};
  auto& e = ctx.emit(event_kind::promise_delivered, cmd.id);
  e.payload_type = payload_kind::full;
  e.payload = cmd.value;
  return res_delivered{true, ctx.index, {}};
}

result<store_result> store::on(context& ctx, const cmd_delay_claim& cmd) {
  auto it = state_.delays.find(cmd.id);
  if (it != state_.delays.end() && it->second.completed)
    return res_delay{delay_claim_state::completed, it->second.runner, it->second.value};
  auto session = live_session(cmd.session);
  if (!session)
    return session.error();
  if (it != state_.delays.end() && !it->second.runner.empty()) {
    auto state =
        it->second.runner == cmd.session ? delay_claim_state::run_body : delay_claim_state::running;
    return res_delay{state, it->second.runner, {}};
  }
  auto& delay = state_.delays[cmd.id];
  delay.runner = cmd.session;
  (*session)->runs.insert(cmd.id);
  auto& e = ctx.emit(event_kind::delay_claimed, cmd.id);
  e.session = cmd.session;
  return res_delay{delay_claim_state::run_body, cmd.session, {}};
}

namespace {

// The delay `session` runs and has not completed, or why it is not.
template <class Delays>
result<delay_entry*> run_by(Delays& delays, const std::string& id, const std::string& session) {
  auto it = delays.find(id);
  if (it != delays.end() && it->second.completed)
    return error{errc::already_delivered, "delay '" + id + "' is completed already"};
  if (it == delays.end() || it->second.runner != session)
    return error{errc::not_holder, "delay '" + id + "' is not being run by session '" + session +
                                       "'" +
                                       (it == delays.end() || it->second.runner.empty()
                                            ? std::string{" (nobody claimed it)"}
                                            : " (session '" + it->second.runner + "' runs it)")};
  return &it->second;
}

} // namespace

result<store_result> store::on(context& ctx, const cmd_delay_complete& cmd) {
  auto running = run_by(state_.delays, cmd.id, cmd.session);
  if (!running)
    return running.error();
  delay_entry& delay = **running;
  delay.completed = true;
  delay.value = cmd.value;
  delay.version = ctx.index;
  state_.sessions[cmd.session].runs.erase(cmd.id);
  auto& e = ctx.emit(event_kind::delay_completed, cmd.id);
  e.session = cmd.session;
  e.payload_type = payload_kind::full;
  e.payload = cmd.value;
  return res_written{ctx.index};
}

result<store_result> store::on(context& ctx, const cmd_delay_request& cmd) {
  auto it = state_.delays.find(cmd.id);
  if (it != state_.delays.end() && it->second.completed)
    return res_delay{delay_claim_state::completed, it->second.runner, it->second.value};
  if (it != state_.delays.end() && !it->second.runner.empty())
    return res_delay{delay_claim_state::running, it->second.runner, {}};
  ctx.emit(event_kind::delay_requested, cmd.id);
  return res_delay{delay_claim_state::requested, {}, {}};
}

result<store_result> store::on(context& ctx, const cmd_delay_fail& cmd) {
  auto running = run_by(state_.delays, cmd.id, cmd.session);
  if (!running)
    return running.error();
  (*running)->runner.clear();
  if (auto runner = state_.sessions.find(cmd.session); runner != state_.sessions.end())
    runner->second.runs.erase(cmd.id);
  auto& e = ctx.emit(event_kind::delay_failed, cmd.id);
  e.session = cmd.session;
  e.payload_type = payload_kind::full;
  e.payload = cmd.message;
  return res_done{};
}

promise_state store::promise(std::string_view id) const {
  auto it = state_.promises.find(id);
  return it == state_.promises.end() ? promise_state{} : it->second;
}

delay_state store::delay(std::string_view id) const {
  auto it = state_.delays.find(id);
  if (it == state_.delays.end())
    return {};
  return delay_state{!it->second.runner.empty(), it->second.runner, it->second.completed,
                     it->second.value};
}

} // namespace dref::store
