#pragma once
// store: dref's deterministic state machine. Commands in (with the log index
// they were committed at), a typed reply and change events out. Pure: no
// clock (time is the leader's stamp in each proposal), no I/O, no threads.
// The memory and raft backends apply exactly this code; two stores fed the
// same proposals end in byte-identical states.
//
// Not thread-safe: one owner (an actor) applies and reads.

#include "dref/protocol/result.hpp"
#include "dref/protocol/store_commands.hpp"
#include "dref/protocol/store_reads.hpp"
#include "dref/protocol/store_results.hpp"
#include "dref/store/limits.hpp"
#include "dref/store/named_commands.hpp"
#include "dref/store/state.hpp"

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dref::store {

struct apply_outcome {
  protocol::store_reply reply;
  std::vector<protocol::store_event> events;
  // The proposal repeated one applied before: reply is the cached answer
  // and nothing else happened (events may still hold session expiries that
  // the proposal's time brought due).
  bool duplicate = false;
};

class store {
public:
  explicit store(limits lim = {},
                 std::shared_ptr<const command_registry> commands = builtin_commands());

  // log_index must grow from call to call; a proposal at an index not
  // above applied_index() is refused with errc::invalid_argument and
  // changes nothing (a driver bug, or a replayed log).
  apply_outcome apply(std::uint64_t log_index, const protocol::store_proposal& proposal);

  // --- reads (of the applied state; linearizable when the caller made
  // sure the state is current, e.g. through raft's ReadIndex)
  result<protocol::value_state> get(std::string_view id) const;
  protocol::lock_state lock(std::string_view id) const;
  // Messages with seq >= from_seq (0: from the oldest retained), at most
  // max_messages. errc::compacted when retention already dropped from_seq;
  // topic_bounds() then says where the retained history starts.
  result<protocol::topic_page> read_topic(std::string_view topic, std::uint64_t from_seq,
                                          std::size_t max_messages) const;
  protocol::topic_page topic_bounds(std::string_view topic) const;
  protocol::promise_state promise(std::string_view id) const;
  protocol::delay_state delay(std::string_view id) const;
  result<protocol::session_state> session(std::string_view id) const;
  // Ids starting with prefix (empty: all), after `after` (exclusive; empty:
  // from the first), in byte order, at most limit of them (0:
  // max_list_page); the page's revision is state().values_revision. Ids
  // under reserved_prefix are never listed. A page is one snapshot; the
  // next page (after = this page's last id) shows the ids of the same
  // snapshot exactly when it reports the same revision, else the keyspace
  // changed in between and the pages may disagree (a removed id missing,
  // a created one present or not). Prefix, after and limit as check_read
  // (input_checks.hpp) says; errors are invalid_argument / limit_exceeded.
  result<protocol::list_page> list(std::string_view prefix, std::string_view after,
                                   std::uint64_t limit) const;
  // The named query `name` (named_commands.hpp) of id's value with args;
  // nothing changes. unknown_command for a query not registered here;
  // command_failed when it threw.
  result<protocol::query_answer> query(std::string_view id, std::string_view name,
                                       std::string_view args) const;
  // All of the above behind one wire type, for backends that serve reads
  // for other nodes or actors.
  protocol::store_read_reply read(const protocol::store_read& request) const;

  std::uint64_t applied_index() const noexcept { return state_.applied; }
  std::uint64_t now_ms() const noexcept { return state_.now_ms; }
  const store_state& state() const noexcept { return state_; }
  const dref::store::limits& configured_limits() const noexcept { return limits_; }
  const std::shared_ptr<const command_registry>& commands() const noexcept { return commands_; }
  // The retry-answer cache's size as its bounds count it (reply_cache.hpp).
  std::uint64_t cached_reply_bytes() const noexcept { return cached_bytes_; }

  // --- snapshots: a framed, deterministic encoding of the whole state.
  std::string snapshot() const;
  static result<store>
  restore(std::string_view snapshot, dref::store::limits lim = {},
          std::shared_ptr<const command_registry> commands = builtin_commands());

  friend bool operator==(const store& a, const store& b) { return a.state_ == b.state_; }

  struct context; // internal: one apply's index, time and event sink

private:
  protocol::store_reply execute(context& ctx, const protocol::store_command& command);
  void expire_due(context& ctx);
  // Raises values_revision for the value events from first_event on.
  void note_value_changes(const context& ctx, std::size_t first_event);
  void rebuild_indexes();

  // the retry-answer cache (reply_cache.cpp; bounds: reply_cache.hpp)
  client_entry& seen_client(std::uint64_t client_id);
  void drop_answers_through(client_entry& client, std::uint64_t sequence);
  void cache_reply(std::uint64_t client_id, client_entry& client, std::uint64_t sequence,
                   const protocol::store_reply& reply);
  void forget_client(std::uint64_t client_id);
  void forget_idle_clients();

  // values (values.cpp)
  result<protocol::store_result> on(context&, const protocol::cmd_create_if_absent&);
  result<protocol::store_result> on(context&, const protocol::cmd_set&);
  result<protocol::store_result> on(context&, const protocol::cmd_cas&);
  result<protocol::store_result> on(context&, const protocol::cmd_patch&);
  result<protocol::store_result> on(context&, const protocol::cmd_remove&);
  result<protocol::store_result> on(context&, const protocol::cmd_set_metadata&);
  result<protocol::store_result> on(context&, const protocol::cmd_run&);
  void write_value(context& ctx, value_entry& entry, const std::string& id, std::string value,
                   const std::string* delta);
  // Creates or overwrites id with value (set's work, and the member directory's).
  void set_value(context& ctx, const std::string& id, const std::string& value);
  // Removes *it with its event (ended_session: the session it went with).
  void erase_value(context& ctx, std::map<std::string, value_entry, std::less<>>::iterator it,
                   const std::string* ended_session);

  // values owned by sessions (owned.cpp)
  result<protocol::store_result> on(context&, const protocol::cmd_set_owned&);
  // Writes value at id owned by session (open), as set_owned and a txn's
  // owned set do.
  void set_owned_value(context& ctx, const std::string& id, const std::string& value,
                       const std::string& session_id, session_entry& session);
  void disown(const std::string& id, value_entry& entry);
  void drop_owned_values(context& ctx, const std::string& session_id, session_entry& session);

  // sessions (sessions.cpp)
  result<protocol::store_result> on(context&, const protocol::cmd_session_open&);
  result<protocol::store_result> on(context&, const protocol::cmd_session_keepalive&);
  result<protocol::store_result> on(context&, const protocol::cmd_session_close&);
  result<protocol::store_result> on(context&, const protocol::cmd_expire_due&);
  result<session_entry*> live_session(std::string_view id);
  void end_session(context& ctx, const std::string& id, bool expired);

  // locks (locks.cpp)
  result<protocol::store_result> on(context&, const protocol::cmd_lock_acquire&);
  result<protocol::store_result> on(context&, const protocol::cmd_lock_release&);
  result<protocol::store_result> on(context&, const protocol::cmd_lock_hand_over&);
  result<protocol::store_result> on(context&, const protocol::cmd_lock_cancel_wait&);
  bool grant_next(context& ctx, const std::string& lock_id, lock_entry& lock);
  // The holder's last level goes: the lock passes to the first waiter, or
  // is gone when nobody waits.
  void let_go(context& ctx, const std::string& lock_id, const std::string& session,
              const std::string& owner, std::uint64_t token);
  void drop_lock_holdings(context& ctx, const std::string& session, session_entry& entry,
                          bool expired);

  // topics (topics.cpp)
  result<protocol::store_result> on(context&, const protocol::cmd_publish&);
  result<protocol::store_result> on(context&, const protocol::cmd_topic_configure&);
  void enforce_retention(topic_entry& topic);

  // promises and delays (promises.cpp)
  result<protocol::store_result> on(context&, const protocol::cmd_promise_deliver&);
  result<protocol::store_result> on(context&, const protocol::cmd_delay_claim&);
  result<protocol::store_result> on(context&, const protocol::cmd_delay_complete&);
  result<protocol::store_result> on(context&, const protocol::cmd_delay_request&);
  result<protocol::store_result> on(context&, const protocol::cmd_delay_fail&);
  result<protocol::store_result> on(context&, const protocol::cmd_member_announce&);

  // fenced writes (fenced.cpp)
  result<protocol::store_result> on(context&, const protocol::cmd_fenced&);

  // transactions (txn.cpp)
  result<protocol::store_result> on(context&, const protocol::cmd_txn&);

  dref::store::limits limits_;
  std::shared_ptr<const command_registry> commands_;
  store_state state_;
  // Derived from state_, rebuilt on restore: sessions by deadline and
  // clients by last activity, so that expiry never scans everything.
  std::set<std::pair<std::uint64_t, std::string>> deadlines_;
  std::set<std::pair<std::uint64_t, std::uint64_t>> client_activity_;
  // Bytes of the whole retry-answer cache, counted as reply_cache.hpp says.
  std::uint64_t cached_bytes_ = 0;
};

} // namespace dref::store
