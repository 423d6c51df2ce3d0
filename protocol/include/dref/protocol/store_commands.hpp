#pragma once
// The commands of dref's replicated state machine (store/), as wire types:
// a node forwards them to the leader, the raft log carries them, and the
// memory backend applies them directly. Every field a command's effect
// depends on is in the command: the store has no clock and no randomness.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace dref::protocol {

using metadata_map = std::map<std::string, std::string>;

// --- values -----------------------------------------------------------------

// Never overwrites: an existing value is joined, not replaced.
struct cmd_create_if_absent {
  std::string id;
  std::string value;
  metadata_map metadata;
  template <class A>
  void serialize(A& ar) {
    ar(id, value, metadata);
  }
  friend bool operator==(const cmd_create_if_absent&, const cmd_create_if_absent&) = default;
};

struct cmd_set {
  std::string id;
  std::string value;
  template <class A>
  void serialize(A& ar) {
    ar(id, value);
  }
  friend bool operator==(const cmd_set&, const cmd_set&) = default;
};

// Writes only when the value is at expected_version (0: only when absent).
struct cmd_cas {
  std::string id;
  std::uint64_t expected_version = 0;
  std::string value;
  template <class A>
  void serialize(A& ar) {
    ar(id, expected_version, value);
  }
  friend bool operator==(const cmd_cas&, const cmd_cas&) = default;
};

// Like cas, but ships a binary delta (store/delta.hpp) against the value at
// expected_version instead of the whole new value.
struct cmd_patch {
  std::string id;
  std::uint64_t expected_version = 0;
  std::string delta;
  template <class A>
  void serialize(A& ar) {
    ar(id, expected_version, delta);
  }
  friend bool operator==(const cmd_patch&, const cmd_patch&) = default;
};

struct cmd_remove {
  std::string id;
  template <class A>
  void serialize(A& ar) {
    ar(id);
  }
  friend bool operator==(const cmd_remove&, const cmd_remove&) = default;
};

// Replaces the value's metadata (the value and its version stay).
struct cmd_set_metadata {
  std::string id;
  metadata_map metadata;
  template <class A>
  void serialize(A& ar) {
    ar(id, metadata);
  }
  friend bool operator==(const cmd_set_metadata&, const cmd_set_metadata&) = default;
};

// Writes value as cmd_set does and makes it owned by `session`: when the
// session ends (closed, or expired in leader time) the value is removed,
// with a value_removed event naming the session (ZooKeeper's ephemeral
// nodes, etcd's keys under a lease). Ownership belongs to the value, not to
// a write: ordinary writes (set, cas, patch, named commands, a txn's set)
// keep the owner; a removal ends it (a value made again later is nobody's
// until a set_owned); another session's set_owned takes it over.
// if_absent: only while id is absent, else res_created{false, version,
// value found} and nothing changes. unknown_session when the session is not
// open. Answers res_created. A value with a TTL is one owned by a session
// that nobody renews (actors/ref/owned_writes.cpp). The store applies it in
// store/src/owned.cpp, redis in lua/values.lua (C.set_owned).
struct cmd_set_owned {
  std::string id;
  std::string value;
  std::string session;
  bool if_absent = false;
  template <class A>
  void serialize(A& ar) {
    ar(id, value, session, if_absent);
  }
  friend bool operator==(const cmd_set_owned&, const cmd_set_owned&) = default;
};

// A named deterministic command registered identically on every node
// (store/named_commands.hpp), e.g. "add_i64".
struct cmd_run {
  std::string id;
  std::string command;
  std::string args;
  template <class A>
  void serialize(A& ar) {
    ar(id, command, args);
  }
  friend bool operator==(const cmd_run&, const cmd_run&) = default;
};

// --- sessions ---------------------------------------------------------------

struct cmd_session_open {
  std::string session;
  std::uint64_t ttl_ms = 0;
  template <class A>
  void serialize(A& ar) {
    ar(session, ttl_ms);
  }
  friend bool operator==(const cmd_session_open&, const cmd_session_open&) = default;
};

struct cmd_session_keepalive {
  std::string session;
  template <class A>
  void serialize(A& ar) {
    ar(session);
  }
  friend bool operator==(const cmd_session_keepalive&, const cmd_session_keepalive&) = default;
};

struct cmd_session_close {
  std::string session;
  template <class A>
  void serialize(A& ar) {
    ar(session);
  }
  friend bool operator==(const cmd_session_close&, const cmd_session_close&) = default;
};

// Expires every session whose deadline is at or before the proposal's time.
// Every command does this first anyway; this one exists so that a leader can
// move time forward when nothing else is being written.
struct cmd_expire_due {
  template <class A>
  void serialize(A&) {}
  friend bool operator==(const cmd_expire_due&, const cmd_expire_due&) = default;
};

// --- locks ------------------------------------------------------------------

// owner names the holder within a session (a thread, an actor): the same
// (session, owner) acquiring again is reentrant. wait=false is try-lock.
struct cmd_lock_acquire {
  std::string lock;
  std::string session;
  std::string owner;
  bool wait = true;
  template <class A>
  void serialize(A& ar) {
    ar(lock, session, owner, wait);
  }
  friend bool operator==(const cmd_lock_acquire&, const cmd_lock_acquire&) = default;
};

// Releases one level of reentrancy; token must be the current grant's.
struct cmd_lock_release {
  std::string lock;
  std::string session;
  std::string owner;
  std::uint64_t token = 0;
  template <class A>
  void serialize(A& ar) {
    ar(lock, session, owner, token);
  }
  friend bool operator==(const cmd_lock_release&, const cmd_lock_release&) = default;
};

// A queued waiter gives up (e.g. try_lock_for timed out).
struct cmd_lock_cancel_wait {
  std::string lock;
  std::string session;
  std::string owner;
  template <class A>
  void serialize(A& ar) {
    ar(lock, session, owner);
  }
  friend bool operator==(const cmd_lock_cancel_wait&, const cmd_lock_cancel_wait&) = default;
};

// The holder lets go of the lock (every level of reentrancy) and passes it
// to the first waiter queued under owner `to_owner`, ahead of the waiters
// before it: an election's handover to a chosen candidate. Holder and token
// are checked as for a release; not_found, and nothing changes, when nobody
// waits under to_owner. Answers res_released{0, true}. The store applies it
// in store/src/locks.cpp, redis in lua/locks.lua (C.lock_hand_over).
struct cmd_lock_hand_over {
  std::string lock;
  std::string session;
  std::string owner;
  std::uint64_t token = 0;
  std::string to_owner;
  template <class A>
  void serialize(A& ar) {
    ar(lock, session, owner, token, to_owner);
  }
  friend bool operator==(const cmd_lock_hand_over&, const cmd_lock_hand_over&) = default;
};

// --- topics -----------------------------------------------------------------

struct cmd_publish {
  std::string topic;
  std::string message;
  template <class A>
  void serialize(A& ar) {
    ar(topic, message);
  }
  friend bool operator==(const cmd_publish&, const cmd_publish&) = default;
};

// Tightens (or loosens, up to the store limits) a topic's retention.
struct cmd_topic_configure {
  std::string topic;
  std::uint64_t max_messages = 0;
  std::uint64_t max_bytes = 0;
  template <class A>
  void serialize(A& ar) {
    ar(topic, max_messages, max_bytes);
  }
  friend bool operator==(const cmd_topic_configure&, const cmd_topic_configure&) = default;
};

// --- promises and delays ----------------------------------------------------

struct cmd_promise_deliver {
  std::string id;
  std::string value;
  template <class A>
  void serialize(A& ar) {
    ar(id, value);
  }
  friend bool operator==(const cmd_promise_deliver&, const cmd_promise_deliver&) = default;
};

// The first live session to claim a delay runs its body.
struct cmd_delay_claim {
  std::string id;
  std::string session;
  template <class A>
  void serialize(A& ar) {
    ar(id, session);
  }
  friend bool operator==(const cmd_delay_claim&, const cmd_delay_claim&) = default;
};

struct cmd_delay_complete {
  std::string id;
  std::string session;
  std::string value;
  template <class A>
  void serialize(A& ar) {
    ar(id, session, value);
  }
  friend bool operator==(const cmd_delay_complete&, const cmd_delay_complete&) = default;
};

// A get without a body asks for a run: the store announces it
// (delay_requested) unless the delay is completed or being run, and every
// context holding a handle with a body for id answers by claiming it, also
// when none of its own callers asked (actors/delay/README.md).
struct cmd_delay_request {
  std::string id;
  template <class A>
  void serialize(A& ar) {
    ar(id);
  }
  friend bool operator==(const cmd_delay_request&, const cmd_delay_request&) = default;
};

// The runner's body failed: its claim ends, everyone waiting learns why
// (delay_failed, message in the payload) and the next get claims afresh.
struct cmd_delay_fail {
  std::string id;
  std::string session;
  std::string message;
  template <class A>
  void serialize(A& ar) {
    ar(id, session, message);
  }
  friend bool operator==(const cmd_delay_fail&, const cmd_delay_fail&) = default;
};

// --- dref's own records ------------------------------------------------------

// A raft member's address in the member directory ("dref/members/<name>",
// under the reserved prefix no client command may write). Proposed by the
// member itself, never accepted from a client (store::internal_only).
struct cmd_member_announce {
  std::string name;
  std::string address; // host:port, [v6]:port
  template <class A>
  void serialize(A& ar) {
    ar(name, address);
  }
  friend bool operator==(const cmd_member_announce&, const cmd_member_announce&) = default;
};

// --- fenced writes -----------------------------------------------------------

// A write guarded by a lock (issue 17): it commits only while `lock` is held
// and its current grant's fencing token is `token`, checked in the same
// atomic step as the write (like etcd's IsOwner compare in a txn). A token
// of an earlier grant, a released lock or one lost to an expired session:
// errc::not_holder, naming the lock and both tokens, and nothing changes.
// The write's own checks (a cas's version, ...) come after the fence's.
// Every backend checks it identically: the store (memory, raft) in
// store/src/fenced.cpp, redis in lua/values.lua (C.fenced).
struct write_fence {
  std::string lock;
  std::uint64_t token = 0;
  template <class A>
  void serialize(A& ar) {
    ar(lock, token);
  }
  friend bool operator==(const write_fence&, const write_fence&) = default;
};

// The writes a fence may guard. Append only: the index is on the wire.
using fenced_write = std::variant<cmd_set, cmd_cas, cmd_patch, cmd_remove>;

struct cmd_fenced {
  write_fence fence;
  fenced_write write;
  template <class A>
  void serialize(A& ar) {
    ar(fence, write);
  }
  friend bool operator==(const cmd_fenced&, const cmd_fenced&) = default;
};

// --- transactions -------------------------------------------------------------

// A multi-id transaction (etcd's Txn without the else branch): when every
// compare holds, every write commits at one revision (the txn's), in one
// atomic step; when one does not, nothing changes and the answer
// (res_txn) names the first compare that failed with the version found.
// Compares read any id (version 0: the id must be absent); writes go to
// distinct client ids, at most max_txn_ops of each and max_value_bytes of
// values in all (store/input_checks.hpp). Watchers see each write as the
// single write would show it (created/written/removed), all at the txn's
// revision; removing an absent id is no change and no event. A set with a
// session writes the value owned by it, as cmd_set_owned does (without
// if_absent: a compare of absence says that); a set without one keeps the
// owner. Every such session must be open once the compares held, else
// unknown_session and nothing changes.
struct txn_compare {
  std::string id;
  std::uint64_t version = 0; // 0: absent
  template <class A>
  void serialize(A& ar) {
    ar(id, version);
  }
  friend bool operator==(const txn_compare&, const txn_compare&) = default;
};

struct txn_write {
  std::string id;
  bool remove = false; // else set to value
  std::string value;
  std::string session; // a set owned by this session; empty: not owned
  template <class A>
  void serialize(A& ar) {
    ar(id, remove, value, session);
  }
  friend bool operator==(const txn_write&, const txn_write&) = default;
};

struct cmd_txn {
  std::vector<txn_compare> compares;
  std::vector<txn_write> writes;
  template <class A>
  void serialize(A& ar) {
    ar(compares, writes);
  }
  friend bool operator==(const cmd_txn&, const cmd_txn&) = default;
};

// Append only: the variant index is part of the wire format.
using store_command =
    std::variant<cmd_create_if_absent, cmd_set, cmd_cas, cmd_patch, cmd_remove, cmd_set_metadata,
                 cmd_run, cmd_session_open, cmd_session_keepalive, cmd_session_close,
                 cmd_expire_due, cmd_lock_acquire, cmd_lock_release, cmd_lock_cancel_wait,
                 cmd_publish, cmd_topic_configure, cmd_promise_deliver, cmd_delay_claim,
                 cmd_delay_complete, cmd_member_announce, cmd_fenced, cmd_txn, cmd_delay_request,
                 cmd_delay_fail, cmd_set_owned, cmd_lock_hand_over>;

// A command as it enters the log. (client_id, sequence) make retries
// idempotent: the store answers a repeated sequence from its cache.
// acked_sequence tells the store that the client has seen every answer up
// to there, so those cached answers can go. client_id 0: no deduplication.
// leader_time_ms is the leader's clock when it accepted the command: the
// only time the store knows.
struct store_proposal {
  static constexpr std::string_view wire_name = "store.proposal";

  std::uint64_t client_id = 0;
  std::uint64_t sequence = 0;
  std::uint64_t acked_sequence = 0;
  std::uint64_t leader_time_ms = 0;
  store_command command;

  template <class A>
  void serialize(A& ar) {
    ar(client_id, sequence, acked_sequence, leader_time_ms, command);
  }
  friend bool operator==(const store_proposal&, const store_proposal&) = default;
};

} // namespace dref::protocol
