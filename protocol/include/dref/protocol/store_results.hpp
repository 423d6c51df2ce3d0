#pragma once
// What the store answers and what it announces: typed results of
// store_commands.hpp, read results, and change events. Wire types, since a
// node answers clients and fans events out across the cluster.

#include "dref/protocol/error.hpp"
#include "dref/protocol/store_commands.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace dref::protocol {

// --- command results --------------------------------------------------------

struct res_created {
  bool created = false; // false: joined an existing value
  std::uint64_t version = 0;
  std::string value; // the value now stored (the existing one when joined)
  template <class A>
  void serialize(A& ar) {
    ar(created, version, value);
  }
  friend bool operator==(const res_created&, const res_created&) = default;
};

struct res_written {
  std::uint64_t version = 0;
  template <class A>
  void serialize(A& ar) {
    ar(version);
  }
  friend bool operator==(const res_written&, const res_written&) = default;
};

struct res_ran {
  std::uint64_t version = 0; // of the value after the command (unchanged: the one it had)
  std::string value;         // the command's answer (add_i64: the value it stored)
  template <class A>
  void serialize(A& ar) {
    ar(version, value);
  }
  friend bool operator==(const res_ran&, const res_ran&) = default;
};

struct res_removed {
  bool existed = false;
  std::uint64_t old_version = 0;
  template <class A>
  void serialize(A& ar) {
    ar(existed, old_version);
  }
  friend bool operator==(const res_removed&, const res_removed&) = default;
};

struct res_session {
  std::uint64_t deadline_ms = 0;
  template <class A>
  void serialize(A& ar) {
    ar(deadline_ms);
  }
  friend bool operator==(const res_session&, const res_session&) = default;
};

struct res_lock {
  bool granted = false;
  std::uint64_t token = 0;    // fencing token when granted
  std::uint32_t count = 0;    // reentrancy depth when granted
  std::uint64_t position = 0; // 1-based place in the queue when waiting
  template <class A>
  void serialize(A& ar) {
    ar(granted, token, count, position);
  }
  friend bool operator==(const res_lock&, const res_lock&) = default;
};

struct res_released {
  std::uint32_t remaining = 0; // reentrancy depth left; 0: the lock was let go
  bool passed_on = false;      // a waiter got it
  template <class A>
  void serialize(A& ar) {
    ar(remaining, passed_on);
  }
  friend bool operator==(const res_released&, const res_released&) = default;
};

struct res_published {
  std::uint64_t seq = 0;
  template <class A>
  void serialize(A& ar) {
    ar(seq);
  }
  friend bool operator==(const res_published&, const res_published&) = default;
};

struct res_delivered {
  bool first = false; // false: it was delivered before; nothing changed
  std::uint64_t version = 0;
  std::string value; // the delivered value (the earlier one when !first)
  template <class A>
  void serialize(A& ar) {
    ar(first, version, value);
  }
  friend bool operator==(const res_delivered&, const res_delivered&) = default;
};

enum class delay_claim_state : std::uint8_t {
  run_body = 0,  // this session won: run the body, then complete
  running = 1,   // another live session runs it: wait for completion
  completed = 2, // done: value holds the result
  requested = 3, // nobody runs it: the body-holders were asked (cmd_delay_request)
};

struct res_delay {
  delay_claim_state state = delay_claim_state::running;
  std::string runner; // session running the body
  std::string value;  // when completed
  template <class A>
  void serialize(A& ar) {
    ar(state, runner, value);
  }
  friend bool operator==(const res_delay&, const res_delay&) = default;
};

struct res_done {
  template <class A>
  void serialize(A&) {}
  friend bool operator==(const res_done&, const res_done&) = default;
};

// A transaction's answer (the contract is above cmd_txn).
struct res_txn {
  bool committed = false;
  std::uint64_t version = 0;        // committed: the revision of every write
  std::uint32_t failed_compare = 0; // !committed: index into cmd_txn::compares
  std::uint64_t found_version = 0;  // !committed: that id's version (0: absent)
  template <class A>
  void serialize(A& ar) {
    ar(committed, version, failed_compare, found_version);
  }
  friend bool operator==(const res_txn&, const res_txn&) = default;
};

// Append only.
using store_result =
    std::variant<res_created, res_written, res_ran, res_removed, res_session, res_lock,
                 res_released, res_published, res_delivered, res_delay, res_done, res_txn>;

// A command's answer as cached for retries and carried back to the client.
struct store_reply {
  static constexpr std::string_view wire_name = "store.reply";
  std::optional<dref::error> error; // set: the command failed and changed nothing
  store_result value;
  template <class A>
  void serialize(A& ar) {
    ar(error, value);
  }
  friend bool operator==(const store_reply&, const store_reply&) = default;
};

// --- change events ----------------------------------------------------------

// Append only.
enum class event_kind : std::uint8_t {
  value_created = 0,
  value_written = 1, // set, cas, patch, run
  value_removed = 2,
  metadata_changed = 3,
  session_opened = 4,
  session_closed = 5,
  session_expired = 6,
  lock_granted = 7,
  lock_queued = 8,
  lock_released = 9, // let go by its holder (or a waiter gave up: token 0)
  lock_lost = 10,    // taken from a holder whose session expired
  topic_published = 11,
  promise_delivered = 12,
  delay_claimed = 13,
  delay_completed = 14,
  delay_released = 15, // the runner's session expired before completing
  // A watcher that lost the events in between (a redis watcher away for
  // longer than Redis keeps events): the id's current value, whole, at
  // new_version; old_version and old_value are unknown.
  value_caught_up = 16,
  delay_requested = 17, // a get without a body asked the body-holders to run it
  delay_failed = 18,    // the runner's body failed: payload says why; unclaimed again
};

std::string_view to_string(event_kind kind) noexcept;

enum class payload_kind : std::uint8_t { none = 0, full = 1, delta = 2 };

// One effect. Subscribers of an id see every version in order: each event's
// old_version is the previous event's new_version.
struct store_event {
  static constexpr std::string_view wire_name = "store.event";

  event_kind kind = event_kind::value_written;
  std::string id; // value, session, lock, topic, promise or delay id
  std::uint64_t old_version = 0;
  std::uint64_t new_version = 0;
  // value events: the new value, or a delta against the old one when that
  // is smaller; topic events: the message.
  payload_kind payload_type = payload_kind::none;
  std::string payload;
  std::optional<std::string> old_value; // value events
  std::string session;                  // lock, delay and session events
  std::string owner;                    // lock events
  std::uint64_t number = 0;             // lock: fencing token; topic: seq

  template <class A>
  void serialize(A& ar) {
    ar(kind, id, old_version, new_version, payload_type, payload, old_value, session, owner,
       number);
  }
  friend bool operator==(const store_event&, const store_event&) = default;
};

// --- read results -----------------------------------------------------------

struct value_state {
  std::string value;
  std::uint64_t version = 0;
  metadata_map metadata;
  std::string owner; // the session that owns it (cmd_set_owned); empty: none
  template <class A>
  void serialize(A& ar) {
    ar(value, version, metadata, owner);
  }
  friend bool operator==(const value_state&, const value_state&) = default;
};

// A named query's answer (read_kind::query), at the version it read.
struct query_answer {
  std::uint64_t version = 0;
  std::string answer;
  template <class A>
  void serialize(A& ar) {
    ar(version, answer);
  }
  friend bool operator==(const query_answer&, const query_answer&) = default;
};

struct lock_waiter {
  std::string session;
  std::string owner;
  template <class A>
  void serialize(A& ar) {
    ar(session, owner);
  }
  friend bool operator==(const lock_waiter&, const lock_waiter&) = default;
};

struct lock_state {
  bool held = false;
  std::string session;
  std::string owner;
  std::uint64_t token = 0;
  std::uint32_t count = 0;
  std::vector<lock_waiter> waiters; // FIFO
  template <class A>
  void serialize(A& ar) {
    ar(held, session, owner, token, count, waiters);
  }
  friend bool operator==(const lock_state&, const lock_state&) = default;
};

struct topic_message {
  std::uint64_t seq = 0;
  std::string message;
  template <class A>
  void serialize(A& ar) {
    ar(seq, message);
  }
  friend bool operator==(const topic_message&, const topic_message&) = default;
};

struct topic_page {
  std::uint64_t first_seq = 0; // oldest retained (next_seq when empty)
  std::uint64_t next_seq = 1;  // the seq the next publish gets
  std::vector<topic_message> messages;
  template <class A>
  void serialize(A& ar) {
    ar(first_seq, next_seq, messages);
  }
  friend bool operator==(const topic_page&, const topic_page&) = default;
};

struct promise_state {
  bool delivered = false;
  std::uint64_t version = 0;
  std::string value;
  template <class A>
  void serialize(A& ar) {
    ar(delivered, version, value);
  }
  friend bool operator==(const promise_state&, const promise_state&) = default;
};

struct delay_state {
  bool claimed = false;
  std::string runner;
  bool completed = false;
  std::string value;
  template <class A>
  void serialize(A& ar) {
    ar(claimed, runner, completed, value);
  }
  friend bool operator==(const delay_state&, const delay_state&) = default;
};

struct listed_id {
  std::string id;
  std::uint64_t version = 0;
  template <class A>
  void serialize(A& ar) {
    ar(id, version);
  }
  friend bool operator==(const listed_id&, const listed_id&) = default;
};

// One page of ids under a prefix (store::store::list has the contract).
struct list_page {
  // The keyspace's revision the page was read at: the version of the newest
  // change (create, write, metadata, removal) of any client id. Pages of
  // one listing with equal revisions show one snapshot.
  std::uint64_t revision = 0;
  std::vector<listed_id> ids; // in id order
  bool more = false;          // ids after the last one match the prefix
  template <class A>
  void serialize(A& ar) {
    ar(revision, ids, more);
  }
  friend bool operator==(const list_page&, const list_page&) = default;
};

struct session_state {
  std::uint64_t ttl_ms = 0;
  std::uint64_t deadline_ms = 0;
  template <class A>
  void serialize(A& ar) {
    ar(ttl_ms, deadline_ms);
  }
  friend bool operator==(const session_state&, const session_state&) = default;
};

} // namespace dref::protocol
