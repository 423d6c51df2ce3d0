#pragma once
// A second, deliberately naive implementation of the store's semantics:
// plain containers, linear scans, no indexes, no back references. The
// property tests feed it and the real store the same random proposals and
// demand the same replies and the same events. It handles values below the
// delta threshold only (events always carry the full value).

#include "dref/store/delta.hpp"
#include "dref/store/limits.hpp"
#include "dref/store/named_commands.hpp"
#include "dref/store/store.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace dref::test {

class reference_model {
public:
  explicit reference_model(store::limits lim)
      : lim_(lim) {}

  store::apply_outcome apply(std::uint64_t index, const protocol::store_proposal& p) {
    store::apply_outcome out;
    events_ = &out.events;
    index_ = index;
    now_ = std::max(now_, p.leader_time_ms);
    // Sessions due, in order of deadline, then id.
    for (;;) {
      const session* due = nullptr;
      for (const auto& s : sessions_)
        if (s.deadline <= now_ && (due == nullptr || s.deadline < due->deadline ||
                                   (s.deadline == due->deadline && s.id < due->id)))
          due = &s;
      if (due == nullptr)
        break;
      end_session(std::string{due->id}, true);
    }
    if (p.client_id == 0) {
      out.reply = execute(p.command);
      return out;
    }
    auto& c = clients_[p.client_id];
    if (p.acked_sequence > c.acked) {
      c.acked = p.acked_sequence;
      std::erase_if(c.replies, [&](const auto& r) { return r.first <= c.acked; });
    }
    if (p.sequence <= c.acked) {
      out.duplicate = true;
      out.reply.error = error{errc::invalid_argument, "acknowledged"};
      return out;
    }
    if (c.replies.count(p.sequence) != 0) {
      out.duplicate = true;
      out.reply = c.replies[p.sequence];
      return out;
    }
    out.reply = execute(p.command);
    c.replies[p.sequence] = out.reply;
    return out;
  }

private:
  struct value {
    std::string bytes;
    std::uint64_t version;
    protocol::metadata_map metadata;
    std::string owner; // a session; writes keep it
  };
  struct session {
    std::string id;
    std::uint64_t ttl;
    std::uint64_t deadline;
  };
  struct lock {
    std::string session, owner;
    std::uint64_t token = 0;
    std::uint32_t count = 0;
    std::vector<protocol::lock_waiter> waiters;
  };
  struct topic {
    std::uint64_t next = 1, max_messages = 0, max_bytes = 0;
    std::vector<std::string> messages; // retained, oldest first
    std::uint64_t first = 1;
  };
  struct delay {
    std::string runner;
    bool completed = false;
    std::string value;
  };
  struct client {
    std::uint64_t acked = 0;
    std::map<std::uint64_t, protocol::store_reply> replies;
  };

  using outcome = std::variant<protocol::store_result, error>;

  static error fail(errc code) { return error{code, "model"}; }

  protocol::store_event& emit(protocol::event_kind kind, const std::string& id) {
    auto& e = events_->emplace_back();
    e.kind = kind;
    e.id = id;
    e.new_version = index_;
    return e;
  }

  bool bad_id(const std::string& id) const { return !store::check_id(id, lim_, "id").has_value(); }
  bool too_big(const std::string& v) const { return v.size() > lim_.max_value_bytes; }
  session* find_session(const std::string& id) {
    for (auto& s : sessions_)
      if (s.id == id)
        return &s;
    return nullptr;
  }

  protocol::store_reply execute(const protocol::store_command& cmd) {
    std::size_t before = events_->size();
    outcome o = std::visit([&](const auto& c) { return on(c); }, cmd);
    protocol::store_reply reply;
    if (auto* err = std::get_if<error>(&o)) {
      events_->resize(before);
      reply.error = *err;
      reply.value = protocol::res_done{};
    } else {
      reply.value = std::get<protocol::store_result>(o);
    }
    return reply;
  }

  void write(const std::string& id, std::string bytes, const std::string* delta) {
    auto it = values_.find(id);
    if (it == values_.end()) {
      values_[id] = value{bytes, index_, {}, {}};
      auto& e = emit(protocol::event_kind::value_created, id);
      e.payload_type = protocol::payload_kind::full;
      e.payload = bytes;
      return;
    }
    auto& e = emit(protocol::event_kind::value_written, id);
    e.old_version = it->second.version;
    e.old_value = it->second.bytes;
    if (delta != nullptr && delta->size() < bytes.size()) {
      e.payload_type = protocol::payload_kind::delta;
      e.payload = *delta;
    } else {
      e.payload_type = protocol::payload_kind::full;
      e.payload = bytes;
    }
    it->second.bytes = bytes;
    it->second.version = index_;
  }

  bool bad_metadata(const protocol::metadata_map& m, errc& code) const {
    std::size_t bytes = 0;
    for (const auto& [k, v] : m) {
      if (k.empty()) {
        code = errc::invalid_argument;
        return true;
      }
      bytes += k.size() + v.size();
    }
    code = errc::value_too_large;
    return bytes > lim_.max_metadata_bytes;
  }

  outcome on(const protocol::cmd_create_if_absent& c) {
    errc code{};
    if (bad_id(c.id))
      return fail(errc::invalid_id);
    if (too_big(c.value))
      return fail(errc::value_too_large);
    if (bad_metadata(c.metadata, code))
      return fail(code);
    if (values_.count(c.id) != 0)
      return protocol::res_created{false, values_[c.id].version, values_[c.id].bytes};
    write(c.id, c.value, nullptr);
    values_[c.id].metadata = c.metadata;
    return protocol::res_created{true, index_, {}};
  }
  outcome on(const protocol::cmd_set& c) {
    if (bad_id(c.id))
      return fail(errc::invalid_id);
    if (too_big(c.value))
      return fail(errc::value_too_large);
    write(c.id, c.value, nullptr);
    return protocol::res_written{index_};
  }
  // The member directory: a write under dref/members/, for a host:port
  // address whose port is 1..65535.
  outcome on(const protocol::cmd_member_announce& c) {
    std::string id = "dref/members/" + c.name;
    if (bad_id(id))
      return fail(errc::invalid_id);
    auto colon = c.address.rfind(':');
    if (colon == std::string::npos || colon == 0)
      return fail(errc::invalid_argument);
    auto port = c.address.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string::npos || std::stoul(port) == 0 ||
        std::stoul(port) > 65535)
      return fail(errc::invalid_argument);
    write(id, c.address, nullptr);
    return protocol::res_written{index_};
  }
  outcome on(const protocol::cmd_cas& c) {
    if (bad_id(c.id))
      return fail(errc::invalid_id);
    if (too_big(c.value))
      return fail(errc::value_too_large);
    bool exists = values_.count(c.id) != 0;
    if (!exists && c.expected_version != 0)
      return fail(errc::not_found);
    if (exists && values_[c.id].version != c.expected_version)
      return fail(errc::version_conflict);
    write(c.id, c.value, nullptr);
    return protocol::res_written{index_};
  }
  outcome on(const protocol::cmd_patch& c) {
    if (bad_id(c.id))
      return fail(errc::invalid_id);
    if (values_.count(c.id) == 0)
      return fail(errc::not_found);
    if (values_[c.id].version != c.expected_version)
      return fail(errc::version_conflict);
    auto patched = store::apply_delta(values_[c.id].bytes, c.delta, lim_.max_value_bytes);
    if (!patched)
      return fail(patched.error().code);
    write(c.id, *patched, &c.delta);
    return protocol::res_written{index_};
  }
  outcome on(const protocol::cmd_set_owned& c) {
    if (bad_id(c.id))
      return fail(errc::invalid_id);
    if (too_big(c.value))
      return fail(errc::value_too_large);
    if (bad_id(c.session))
      return fail(errc::invalid_id);
    if (find_session(c.session) == nullptr)
      return fail(errc::unknown_session);
    if (values_.count(c.id) != 0 && c.if_absent)
      return protocol::res_created{false, values_[c.id].version, values_[c.id].bytes};
    write(c.id, c.value, nullptr);
    events_->back().session = c.session;
    values_[c.id].owner = c.session;
    return protocol::res_created{true, index_, {}};
  }
  outcome on(const protocol::cmd_remove& c) {
    if (bad_id(c.id))
      return fail(errc::invalid_id);
    if (values_.count(c.id) == 0)
      return protocol::res_removed{false, 0};
    auto& e = emit(protocol::event_kind::value_removed, c.id);
    e.old_version = values_[c.id].version;
    e.old_value = values_[c.id].bytes;
    protocol::res_removed r{true, values_[c.id].version};
    values_.erase(c.id);
    return r;
  }
  // The write's input is checked before the fence, the fence before the
  // write's own preconditions.
  outcome on(const protocol::cmd_fenced& c) {
    if (bad_id(c.fence.lock))
      return fail(errc::invalid_id);
    auto input = std::visit(
        [&](const auto& w) -> std::optional<errc> {
          if (bad_id(w.id))
            return errc::invalid_id;
          if constexpr (requires { w.value; })
            if (too_big(w.value))
              return errc::value_too_large;
          return std::nullopt;
        },
        c.write);
    if (input)
      return fail(*input);
    auto held = locks_.find(c.fence.lock);
    if (held == locks_.end() || held->second.session.empty() || held->second.token != c.fence.token)
      return fail(errc::not_holder);
    return std::visit([&](const auto& w) { return on(w); }, c.write);
  }
  // Input first (counts; each compare's id; each write's id, repeat,
  // stray value, owned removal, session id and size; then all values),
  // then the compares in order, then the owners.
  outcome on(const protocol::cmd_txn& c) {
    if (c.compares.size() > 128 || c.writes.size() > 128)
      return fail(errc::limit_exceeded);
    for (const auto& compare : c.compares)
      if (bad_id(compare.id))
        return fail(errc::invalid_id);
    std::set<std::string> seen;
    std::size_t bytes = 0;
    for (const auto& w : c.writes) {
      if (bad_id(w.id))
        return fail(errc::invalid_id);
      if (!seen.insert(w.id).second)
        return fail(errc::invalid_argument);
      if (w.remove && !w.value.empty())
        return fail(errc::invalid_argument);
      if (w.remove && !w.session.empty())
        return fail(errc::invalid_argument);
      if (!w.session.empty() && bad_id(w.session))
        return fail(errc::invalid_id);
      if (too_big(w.value))
        return fail(errc::value_too_large);
      bytes += w.value.size();
    }
    if (bytes > lim_.max_value_bytes)
      return fail(errc::value_too_large);
    for (std::size_t i = 0; i < c.compares.size(); ++i) {
      auto it = values_.find(c.compares[i].id);
      std::uint64_t found = it == values_.end() ? 0 : it->second.version;
      if (found != c.compares[i].version)
        return protocol::res_txn{false, 0, static_cast<std::uint32_t>(i), found};
    }
    for (const auto& w : c.writes)
      if (!w.session.empty() && find_session(w.session) == nullptr)
        return fail(errc::unknown_session);
    for (const auto& w : c.writes) {
      if (w.remove)
        on(protocol::cmd_remove{w.id});
      else if (!w.session.empty())
        on(protocol::cmd_set_owned{w.id, w.value, w.session, false});
      else
        write(w.id, w.value, nullptr);
    }
    return protocol::res_txn{true, index_, 0, 0};
  }
  outcome on(const protocol::cmd_set_metadata& c) {
    errc code{};
    if (bad_id(c.id))
      return fail(errc::invalid_id);
    if (bad_metadata(c.metadata, code))
      return fail(code);
    if (values_.count(c.id) == 0)
      return fail(errc::not_found);
    emit(protocol::event_kind::metadata_changed, c.id).old_version = values_[c.id].version;
    values_[c.id].metadata = c.metadata;
    values_[c.id].version = index_;
    return protocol::res_written{index_};
  }
  outcome on(const protocol::cmd_run& c) {
    if (bad_id(c.id))
      return fail(errc::invalid_id);
    if (c.command != "add_i64")
      return fail(errc::unknown_command);
    auto delta = store::decode_i64(c.args, "args");
    if (!delta)
      return fail(errc::wrong_type);
    std::int64_t base = 0;
    if (values_.count(c.id) != 0) {
      auto stored = store::decode_i64(values_[c.id].bytes, "value");
      if (!stored)
        return fail(errc::wrong_type);
      base = *stored;
    }
    std::int64_t sum = 0;
    if (__builtin_add_overflow(base, *delta, &sum))
      return fail(errc::invalid_argument);
    write(c.id, store::encode_i64(sum), nullptr);
    return protocol::res_ran{index_, store::encode_i64(sum)};
  }
  outcome on(const protocol::cmd_session_open& c) {
    if (bad_id(c.session))
      return fail(errc::invalid_id);
    if (c.ttl_ms < lim_.min_session_ttl_ms || c.ttl_ms > lim_.max_session_ttl_ms)
      return fail(errc::invalid_argument);
    if (find_session(c.session) != nullptr)
      return fail(errc::already_exists);
    sessions_.push_back(session{c.session, c.ttl_ms, now_ + c.ttl_ms});
    auto& e = emit(protocol::event_kind::session_opened, c.session);
    e.session = c.session;
    e.number = now_ + c.ttl_ms;
    return protocol::res_session{now_ + c.ttl_ms};
  }
  outcome on(const protocol::cmd_session_keepalive& c) {
    auto* s = find_session(c.session);
    if (s == nullptr)
      return fail(errc::unknown_session);
    s->deadline = now_ + s->ttl;
    return protocol::res_session{s->deadline};
  }
  outcome on(const protocol::cmd_session_close& c) {
    if (find_session(c.session) == nullptr)
      return fail(errc::unknown_session);
    end_session(c.session, false);
    return protocol::res_done{};
  }
  outcome on(const protocol::cmd_expire_due&) { return protocol::res_done{}; }

  void grant_next(const std::string& id);

  void end_session(const std::string& id, bool expired);

  outcome on(const protocol::cmd_lock_acquire& c);
  outcome on(const protocol::cmd_lock_release& c);
  outcome on(const protocol::cmd_lock_hand_over& c);
  outcome on(const protocol::cmd_lock_cancel_wait& c);

  std::uint64_t max_messages(const topic& t) const {
    return t.max_messages == 0 ? lim_.topic_max_messages : t.max_messages;
  }
  std::uint64_t max_bytes(const topic& t) const {
    return t.max_bytes == 0 ? lim_.topic_max_bytes : t.max_bytes;
  }
  void retain(topic& t);

  outcome on(const protocol::cmd_publish& c);
  outcome on(const protocol::cmd_topic_configure& c);

public:
  // What a reader of the topic gets: (seq, message) pairs from from_seq.
  std::vector<protocol::topic_message> read(const std::string& id) const {
    std::vector<protocol::topic_message> out;
    auto it = topics_.find(id);
    if (it == topics_.end())
      return out;
    for (std::size_t i = 0; i < it->second.messages.size(); ++i)
      out.push_back({it->second.first + i, it->second.messages[i]});
    return out;
  }

private:
  outcome on(const protocol::cmd_promise_deliver& c);
  outcome on(const protocol::cmd_delay_claim& c);
  // Why session may not complete or fail delay id (nullopt: it may).
  std::optional<errc> not_run_by(const std::string& id, const std::string& session);
  outcome on(const protocol::cmd_delay_complete& c);
  outcome on(const protocol::cmd_delay_request& c);
  outcome on(const protocol::cmd_delay_fail& c);

  store::limits lim_;
  std::vector<protocol::store_event>* events_ = nullptr;
  std::uint64_t index_ = 0;
  std::uint64_t now_ = 0;
  std::map<std::string, value> values_;
  std::vector<session> sessions_;
  std::map<std::string, lock> locks_;
  std::map<std::string, topic> topics_;
  std::map<std::string, std::pair<std::uint64_t, std::string>> promises_;
  std::map<std::string, delay> delays_;
  std::map<std::uint64_t, client> clients_;
};

} // namespace dref::test

#include "reference_model_coordination.hpp"
