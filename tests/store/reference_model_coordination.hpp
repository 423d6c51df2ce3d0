#pragma once
// reference_model's sessions, locks, topics, promises and delays, defined
// out of its class (reference_model.hpp keeps the declarations) so that
// neither file is over the 600-line limit. Included by reference_model.hpp
// only.

#include "reference_model.hpp"

namespace dref::test {

inline void reference_model::grant_next(const std::string& id) {
  auto& l = locks_[id];
  if (l.waiters.empty()) {
    locks_.erase(id);
    return;
  }
  auto next = l.waiters.front();
  l.waiters.erase(l.waiters.begin());
  l.session = next.session;
  l.owner = next.owner;
  l.token = index_;
  l.count = 1;
  auto& e = emit(protocol::event_kind::lock_granted, id);
  e.session = l.session;
  e.owner = l.owner;
  e.number = index_;
}

inline void reference_model::end_session(const std::string& id, bool expired) {
  for (auto& [lock_id, l] : locks_)
    for (auto w = l.waiters.begin(); w != l.waiters.end();) {
      if (w->session == id) {
        auto& e = emit(protocol::event_kind::lock_released, lock_id);
        e.session = id;
        e.owner = w->owner;
        w = l.waiters.erase(w);
      } else {
        ++w;
      }
    }
  std::vector<std::string> held;
  for (auto& [lock_id, l] : locks_)
    if (l.session == id)
      held.push_back(lock_id);
  for (const auto& lock_id : held) {
    auto& l = locks_[lock_id];
    auto& e = emit(expired ? protocol::event_kind::lock_lost : protocol::event_kind::lock_released,
                   lock_id);
    e.session = id;
    e.owner = l.owner;
    e.number = l.token;
    grant_next(lock_id);
  }
  for (auto& [delay_id, d] : delays_)
    if (d.runner == id && !d.completed) {
      d.runner.clear();
      emit(protocol::event_kind::delay_released, delay_id).session = id;
    }
  std::vector<std::string> owned; // removed as cmd_remove does, naming the session
  for (const auto& [value_id, v] : values_)
    if (v.owner == id)
      owned.push_back(value_id);
  for (const auto& value_id : owned) {
    (void)on(protocol::cmd_remove{value_id});
    events_->back().session = id;
  }
  emit(expired ? protocol::event_kind::session_expired : protocol::event_kind::session_closed, id)
      .session = id;
  std::erase_if(sessions_, [&](const session& s) { return s.id == id; });
}

inline reference_model::outcome reference_model::on(const protocol::cmd_lock_acquire& c) {
  if (bad_id(c.lock) || bad_id(c.session) || bad_id(c.owner))
    return fail(errc::invalid_id);
  if (find_session(c.session) == nullptr)
    return fail(errc::unknown_session);
  if (locks_.count(c.lock) == 0) {
    locks_[c.lock] = lock{c.session, c.owner, index_, 1, {}};
    auto& e = emit(protocol::event_kind::lock_granted, c.lock);
    e.session = c.session;
    e.owner = c.owner;
    e.number = index_;
    return protocol::res_lock{true, index_, 1, 0};
  }
  auto& l = locks_[c.lock];
  if (l.session == c.session && l.owner == c.owner) {
    ++l.count;
    return protocol::res_lock{true, l.token, l.count, 0};
  }
  for (std::size_t i = 0; i < l.waiters.size(); ++i)
    if (l.waiters[i].session == c.session && l.waiters[i].owner == c.owner)
      return protocol::res_lock{false, 0, 0, i + 1};
  if (!c.wait)
    return fail(errc::would_block);
  l.waiters.push_back({c.session, c.owner});
  auto& e = emit(protocol::event_kind::lock_queued, c.lock);
  e.session = c.session;
  e.owner = c.owner;
  return protocol::res_lock{false, 0, 0, l.waiters.size()};
}

inline reference_model::outcome reference_model::on(const protocol::cmd_lock_release& c) {
  if (bad_id(c.lock) || bad_id(c.session) || bad_id(c.owner))
    return fail(errc::invalid_id);
  if (locks_.count(c.lock) == 0)
    return fail(errc::not_holder);
  auto& l = locks_[c.lock];
  if (l.session != c.session || l.owner != c.owner)
    return fail(errc::not_holder);
  if (l.token != c.token)
    return fail(errc::stale_token);
  if (--l.count > 0)
    return protocol::res_released{l.count, false};
  auto& e = emit(protocol::event_kind::lock_released, c.lock);
  e.session = c.session;
  e.owner = c.owner;
  e.number = c.token;
  bool passed = !l.waiters.empty();
  grant_next(c.lock);
  return protocol::res_released{0, passed};
}

inline reference_model::outcome reference_model::on(const protocol::cmd_lock_hand_over& c) {
  if (bad_id(c.lock) || bad_id(c.session) || bad_id(c.owner) || bad_id(c.to_owner))
    return fail(errc::invalid_id);
  if (locks_.count(c.lock) == 0)
    return fail(errc::not_holder);
  auto& l = locks_[c.lock];
  if (l.session != c.session || l.owner != c.owner)
    return fail(errc::not_holder);
  if (l.token != c.token)
    return fail(errc::stale_token);
  auto to = std::find_if(l.waiters.begin(), l.waiters.end(),
                         [&](const auto& w) { return w.owner == c.to_owner; });
  if (to == l.waiters.end())
    return fail(errc::not_found);
  auto chosen = *to;
  l.waiters.erase(to);
  l.waiters.insert(l.waiters.begin(), chosen);
  auto& e = emit(protocol::event_kind::lock_released, c.lock);
  e.session = c.session;
  e.owner = c.owner;
  e.number = c.token;
  grant_next(c.lock);
  return protocol::res_released{0, true};
}

inline reference_model::outcome reference_model::on(const protocol::cmd_lock_cancel_wait& c) {
  if (bad_id(c.lock) || bad_id(c.session) || bad_id(c.owner))
    return fail(errc::invalid_id);
  if (locks_.count(c.lock) != 0) {
    auto& l = locks_[c.lock];
    if (l.session == c.session && l.owner == c.owner)
      return protocol::res_lock{true, l.token, l.count, 0};
    for (auto w = l.waiters.begin(); w != l.waiters.end(); ++w)
      if (w->session == c.session && w->owner == c.owner) {
        l.waiters.erase(w);
        auto& e = emit(protocol::event_kind::lock_released, c.lock);
        e.session = c.session;
        e.owner = c.owner;
        return protocol::res_done{};
      }
  }
  return fail(errc::not_found);
}

inline void reference_model::retain(topic& t) {
  auto bytes = [&] {
    std::uint64_t sum = 0;
    for (const auto& m : t.messages)
      sum += m.size();
    return sum;
  };
  while (!t.messages.empty() && (t.messages.size() > max_messages(t) || bytes() > max_bytes(t))) {
    t.messages.erase(t.messages.begin());
    ++t.first;
  }
}

inline reference_model::outcome reference_model::on(const protocol::cmd_publish& c) {
  if (bad_id(c.topic))
    return fail(errc::invalid_id);
  if (too_big(c.message))
    return fail(errc::value_too_large);
  topic probe = topics_.count(c.topic) != 0 ? topics_[c.topic] : topic{};
  if (c.message.size() > max_bytes(probe))
    return fail(errc::limit_exceeded);
  auto& t = topics_[c.topic];
  std::uint64_t seq = t.next++;
  if (t.messages.empty())
    t.first = seq;
  t.messages.push_back(c.message);
  retain(t);
  auto& e = emit(protocol::event_kind::topic_published, c.topic);
  e.old_version = seq - 1;
  e.new_version = seq;
  e.number = seq;
  e.payload_type = protocol::payload_kind::full;
  e.payload = c.message;
  return protocol::res_published{seq};
}

inline reference_model::outcome reference_model::on(const protocol::cmd_topic_configure& c) {
  if (bad_id(c.topic))
    return fail(errc::invalid_id);
  if (c.max_messages > lim_.topic_max_messages || c.max_bytes > lim_.topic_max_bytes)
    return fail(errc::limit_exceeded);
  auto& t = topics_[c.topic];
  t.max_messages = c.max_messages;
  t.max_bytes = c.max_bytes;
  retain(t);
  return protocol::res_done{};
}

inline reference_model::outcome reference_model::on(const protocol::cmd_promise_deliver& c) {
  if (bad_id(c.id))
    return fail(errc::invalid_id);
  if (too_big(c.value))
    return fail(errc::value_too_large);
  if (promises_.count(c.id) != 0)
    return protocol::res_delivered{false, promises_[c.id].first, promises_[c.id].second};
  promises_[c.id] = {index_, c.value};
  auto& e = emit(protocol::event_kind::promise_delivered, c.id);
  e.payload_type = protocol::payload_kind::full;
  e.payload = c.value;
  return protocol::res_delivered{true, index_, {}};
}

inline reference_model::outcome reference_model::on(const protocol::cmd_delay_claim& c) {
  if (bad_id(c.id) || bad_id(c.session))
    return fail(errc::invalid_id);
  if (delays_.count(c.id) != 0 && delays_[c.id].completed)
    return protocol::res_delay{protocol::delay_claim_state::completed, delays_[c.id].runner,
                               delays_[c.id].value};
  if (find_session(c.session) == nullptr)
    return fail(errc::unknown_session);
  auto& d = delays_[c.id];
  if (!d.runner.empty())
    return protocol::res_delay{d.runner == c.session ? protocol::delay_claim_state::run_body
                                                     : protocol::delay_claim_state::running,
                               d.runner,
                               {}};
  d.runner = c.session;
  emit(protocol::event_kind::delay_claimed, c.id).session = c.session;
  return protocol::res_delay{protocol::delay_claim_state::run_body, c.session, {}};
}

inline std::optional<errc> reference_model::not_run_by(const std::string& id,
                                                       const std::string& session) {
  auto it = delays_.find(id);
  if (it != delays_.end() && it->second.completed)
    return errc::already_delivered;
  if (it == delays_.end() || it->second.runner != session)
    return errc::not_holder;
  return std::nullopt;
}

inline reference_model::outcome reference_model::on(const protocol::cmd_delay_complete& c) {
  if (bad_id(c.id))
    return fail(errc::invalid_id);
  if (too_big(c.value))
    return fail(errc::value_too_large);
  if (bad_id(c.session))
    return fail(errc::invalid_id);
  if (auto refused = not_run_by(c.id, c.session))
    return fail(*refused);
  auto& d = delays_[c.id];
  d.completed = true;
  d.value = c.value;
  auto& e = emit(protocol::event_kind::delay_completed, c.id);
  e.session = c.session;
  e.payload_type = protocol::payload_kind::full;
  e.payload = c.value;
  return protocol::res_written{index_};
}

inline reference_model::outcome reference_model::on(const protocol::cmd_delay_request& c) {
  if (bad_id(c.id))
    return fail(errc::invalid_id);
  auto it = delays_.find(c.id);
  if (it != delays_.end() && it->second.completed)
    return protocol::res_delay{protocol::delay_claim_state::completed, it->second.runner,
                               it->second.value};
  if (it != delays_.end() && !it->second.runner.empty())
    return protocol::res_delay{protocol::delay_claim_state::running, it->second.runner, {}};
  emit(protocol::event_kind::delay_requested, c.id);
  return protocol::res_delay{protocol::delay_claim_state::requested, {}, {}};
}

inline reference_model::outcome reference_model::on(const protocol::cmd_delay_fail& c) {
  if (bad_id(c.id))
    return fail(errc::invalid_id);
  if (too_big(c.message))
    return fail(errc::value_too_large);
  if (bad_id(c.session))
    return fail(errc::invalid_id);
  if (auto refused = not_run_by(c.id, c.session))
    return fail(*refused);
  delays_[c.id].runner.clear();
  auto& e = emit(protocol::event_kind::delay_failed, c.id);
  e.session = c.session;
  e.payload_type = protocol::payload_kind::full;
  e.payload = c.message;
  return protocol::res_done{};
}

} // namespace dref::test
