// Locks: FIFO waiters, reentrancy per (session, owner), fencing tokens that
// are the log index of the grant (so they grow across every lock and every
// grant, and survive snapshots without a counter).
#include "context.hpp"

#include <algorithm>

namespace dref::store {

using namespace protocol;

namespace {

// A session may wait for one lock under several owners: the back reference
// goes only when the last of them leaves the queue.
void forget_wait_if_last(session_entry& session, const std::string& session_id,
                         const std::string& lock_id, const lock_entry& lock) {
  for (const auto& w : lock.waiters)
    if (w.session == session_id)
      return;
  session.waits.erase(lock_id);
}

std::string holder_text(const lock_entry& lock) {
  return "session '" + lock.session + "' (owner '" + lock.owner + "')";
}

} // namespace

bool store::grant_next(context& ctx, const std::string& lock_id, lock_entry& lock) {
  lock.session.clear();
  lock.owner.clear();
  lock.count = 0;
  lock.token = 0;
  while (!lock.waiters.empty()) {
    lock_waiter next = std::move(lock.waiters.front());
    lock.waiters.pop_front();
    auto session = state_.sessions.find(next.session);
    if (session == state_.sessions.end())
      continue; // cannot happen: ending a session removes its waits first
    forget_wait_if_last(session->second, next.session, lock_id, lock);
    session->second.holds.insert(lock_id);
    lock.session = std::move(next.session);
    lock.owner = std::move(next.owner);
    lock.token = ctx.index;
    lock.count = 1;
    auto& e = ctx.emit(event_kind::lock_granted, lock_id);
    e.session = lock.session;
    e.owner = lock.owner;
    e.number = lock.token;
    return true;
  }
  return false;
}

result<store_result> store::on(context& ctx, const cmd_lock_acquire& cmd) {
  auto session = live_session(cmd.session);
  if (!session)
    return session.error();
  auto it = state_.locks.find(cmd.lock);
  if (it == state_.locks.end() || it->second.session.empty()) {
    auto& lock = state_.locks[cmd.lock];
    lock.session = cmd.session;
    lock.owner = cmd.owner;
    lock.token = ctx.index;
    lock.count = 1;
    (*session)->holds.insert(cmd.lock);
    auto& e = ctx.emit(event_kind::lock_granted, cmd.lock);
    e.session = cmd.session;
    e.owner = cmd.owner;
    e.number = lock.token;
    return res_lock{true, lock.token, 1, 0};
  }
  lock_entry& lock = it->second;
  if (lock.session == cmd.session && lock.owner == cmd.owner) {
    ++lock.count;
    return res_lock{true, lock.token, lock.count, 0};
  }
  auto queued = std::find_if(lock.waiters.begin(), lock.waiters.end(), [&](const lock_waiter& w) {
    return w.session == cmd.session && w.owner == cmd.owner;
  });
  if (queued != lock.waiters.end())
    return res_lock{false, 0, 0, static_cast<std::uint64_t>(queued - lock.waiters.begin()) + 1};
  if (!cmd.wait)
    return error{errc::would_block, "lock '" + cmd.lock + "' is held by " + holder_text(lock)};
  lock.waiters.push_back(lock_waiter{cmd.session, cmd.owner});
  (*session)->waits.insert(cmd.lock);
  auto& e = ctx.emit(event_kind::lock_queued, cmd.lock);
  e.session = cmd.session;
  e.owner = cmd.owner;
  return res_lock{false, 0, 0, lock.waiters.size()};
}

namespace {

// The holder and token a release or a handover names, checked against the
// lock's current grant.
result<void> check_holder(const std::string& lock_id, const lock_entry* lock,
                          const std::string& session, const std::string& owner,
                          std::uint64_t token) {
  if (lock == nullptr || lock->session.empty())
    return error{errc::not_holder, "lock '" + lock_id + "' is not held by anyone"};
  if (lock->session != session || lock->owner != owner)
    return error{errc::not_holder, "lock '" + lock_id + "' is held by " + holder_text(*lock) +
                                       ", not by session '" + session + "' (owner '" + owner +
                                       "')"};
  if (lock->token != token)
    return error{errc::stale_token, "lock '" + lock_id + "': token " + std::to_string(token) +
                                        " is not the current grant's token " +
                                        std::to_string(lock->token)};
  return {};
}

} // namespace

void store::let_go(context& ctx, const std::string& lock_id, const std::string& session,
                   const std::string& owner, std::uint64_t token) {
  state_.sessions[session].holds.erase(lock_id);
  auto& e = ctx.emit(event_kind::lock_released, lock_id);
  e.session = session;
  e.owner = owner;
  e.number = token;
  auto it = state_.locks.find(lock_id);
  if (!grant_next(ctx, lock_id, it->second))
    state_.locks.erase(it);
}

result<store_result> store::on(context& ctx, const cmd_lock_release& cmd) {
  auto it = state_.locks.find(cmd.lock);
  lock_entry* lock = it == state_.locks.end() ? nullptr : &it->second;
  if (auto ok = check_holder(cmd.lock, lock, cmd.session, cmd.owner, cmd.token); !ok)
    return ok.error();
  if (--lock->count > 0)
    return res_released{lock->count, false};
  bool passes = !lock->waiters.empty();
  let_go(ctx, cmd.lock, cmd.session, cmd.owner, cmd.token);
  return res_released{0, passes};
}

result<store_result> store::on(context& ctx, const cmd_lock_hand_over& cmd) {
  auto it = state_.locks.find(cmd.lock);
  lock_entry* lock = it == state_.locks.end() ? nullptr : &it->second;
  if (auto ok = check_holder(cmd.lock, lock, cmd.session, cmd.owner, cmd.token); !ok)
    return ok.error();
  auto to = std::find_if(lock->waiters.begin(), lock->waiters.end(),
                         [&](const lock_waiter& w) { return w.owner == cmd.to_owner; });
  if (to == lock->waiters.end())
    return error{errc::not_found, "lock '" + cmd.lock + "': nobody waits for it as '" +
                                      cmd.to_owner + "'; it stays with its holder"};
  lock_waiter next = std::move(*to);
  lock->waiters.erase(to);
  lock->waiters.push_front(std::move(next));
  let_go(ctx, cmd.lock, cmd.session, cmd.owner, cmd.token);
  return res_released{0, true};
}

result<store_result> store::on(context& ctx, const cmd_lock_cancel_wait& cmd) {
  auto it = state_.locks.find(cmd.lock);
  if (it != state_.locks.end()) {
    lock_entry& lock = it->second;
    // The grant may have won the race against the waiter's timeout: say so,
    // so that the caller releases what it now holds.
    if (lock.session == cmd.session && lock.owner == cmd.owner)
      return res_lock{true, lock.token, lock.count, 0};
    auto queued = std::find_if(lock.waiters.begin(), lock.waiters.end(), [&](const lock_waiter& w) {
      return w.session == cmd.session && w.owner == cmd.owner;
    });
    if (queued != lock.waiters.end()) {
      lock.waiters.erase(queued);
      forget_wait_if_last(state_.sessions[cmd.session], cmd.session, cmd.lock, lock);
      auto& e = ctx.emit(event_kind::lock_released, cmd.lock);
      e.session = cmd.session;
      e.owner = cmd.owner;
      return res_done{};
    }
  }
  return error{errc::not_found, "session '" + cmd.session + "' (owner '" + cmd.owner +
                                    "') neither holds nor waits for lock '" + cmd.lock + "'"};
}

void store::drop_lock_holdings(context& ctx, const std::string& session_id, session_entry& session,
                               bool expired) {
  // Waits first, so that a lock this session lets go never passes to it.
  for (const auto& lock_id : session.waits) {
    auto& lock = state_.locks[lock_id];
    for (auto w = lock.waiters.begin(); w != lock.waiters.end();) {
      if (w->session == session_id) {
        auto& e = ctx.emit(event_kind::lock_released, lock_id);
        e.session = session_id;
        e.owner = w->owner;
        w = lock.waiters.erase(w);
      } else {
        ++w;
      }
    }
  }
  session.waits.clear();
  for (const auto& lock_id : session.holds) {
    auto it = state_.locks.find(lock_id);
    if (it == state_.locks.end())
      continue;
    auto& e = ctx.emit(expired ? event_kind::lock_lost : event_kind::lock_released, lock_id);
    e.session = session_id;
    e.owner = it->second.owner;
    e.number = it->second.token;
    if (!grant_next(ctx, lock_id, it->second))
      state_.locks.erase(it);
  }
  session.holds.clear();
}

lock_state store::lock(std::string_view id) const {
  lock_state out;
  auto it = state_.locks.find(id);
  if (it == state_.locks.end())
    return out;
  const lock_entry& lock = it->second;
  out.held = !lock.session.empty();
  out.session = lock.session;
  out.owner = lock.owner;
  out.token = lock.token;
  out.count = lock.count;
  out.waiters.assign(lock.waiters.begin(), lock.waiters.end());
  return out;
}

} // namespace dref::store
