#pragma once
// The store's whole replicated state: what a snapshot holds. Ordered
// containers only, so that equal states serialize to equal bytes.

#include "dref/protocol/store_results.hpp"

#include <cereal/types/deque.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/set.hpp>
#include <cereal/types/string.hpp>
#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <string_view>

namespace dref::store {

struct value_entry {
  std::string value;
  std::uint64_t version = 0; // log index of the last write
  protocol::metadata_map metadata;
  std::string owner; // the owning session (protocol::cmd_set_owned); empty: none
  template <class A>
  void serialize(A& ar) {
    ar(value, version, metadata, owner);
  }
  friend bool operator==(const value_entry&, const value_entry&) = default;
};

struct session_entry {
  std::uint64_t ttl_ms = 0;
  std::uint64_t deadline_ms = 0;
  // What expiry has to undo, so that it needs no scan of every lock.
  std::set<std::string> holds; // locks held
  std::set<std::string> waits; // locks waited for
  std::set<std::string> runs;  // delays being run
  std::set<std::string> owns;  // values it owns
  template <class A>
  void serialize(A& ar) {
    ar(ttl_ms, deadline_ms, holds, waits, runs, owns);
  }
  friend bool operator==(const session_entry&, const session_entry&) = default;
};

struct lock_entry {
  // Holder; session empty while free (a free lock with no waiters is erased).
  std::string session;
  std::string owner;
  std::uint64_t token = 0; // the log index of the grant: grows with every grant
  std::uint32_t count = 0;
  std::deque<protocol::lock_waiter> waiters;
  template <class A>
  void serialize(A& ar) {
    ar(session, owner, token, count, waiters);
  }
  friend bool operator==(const lock_entry&, const lock_entry&) = default;
};

struct topic_entry {
  std::uint64_t next_seq = 1;
  std::uint64_t max_messages = 0; // 0: the store limit
  std::uint64_t max_bytes = 0;    // 0: the store limit
  std::uint64_t bytes = 0;        // retained message bytes
  std::deque<protocol::topic_message> messages;
  template <class A>
  void serialize(A& ar) {
    ar(next_seq, max_messages, max_bytes, bytes, messages);
  }
  friend bool operator==(const topic_entry&, const topic_entry&) = default;
};

struct delay_entry {
  std::string runner; // session running the body; empty: unclaimed
  bool completed = false;
  std::string value;
  std::uint64_t version = 0;
  template <class A>
  void serialize(A& ar) {
    ar(runner, completed, value, version);
  }
  friend bool operator==(const delay_entry&, const delay_entry&) = default;
};

// Answers kept for retries of one client's proposals (bounds:
// reply_cache.hpp).
struct client_entry {
  std::uint64_t acked = 0;
  std::uint64_t last_seen_ms = 0;
  std::map<std::uint64_t, protocol::store_reply> replies;
  // Derived from replies (cached_reply_size of each), so not in the
  // snapshot: restore counts it again.
  std::uint64_t reply_bytes = 0;
  template <class A>
  void serialize(A& ar) {
    ar(acked, last_seen_ms, replies);
  }
  friend bool operator==(const client_entry&, const client_entry&) = default;
};

struct store_state {
  static constexpr std::string_view wire_name = "store.snapshot";

  std::uint64_t applied = 0; // last log index applied
  std::uint64_t now_ms = 0;  // newest leader time seen; never goes back
  std::map<std::string, value_entry, std::less<>> values;
  std::map<std::string, session_entry, std::less<>> sessions;
  std::map<std::string, lock_entry, std::less<>> locks;
  std::map<std::string, topic_entry, std::less<>> topics;
  std::map<std::string, protocol::promise_state, std::less<>> promises;
  std::map<std::string, delay_entry, std::less<>> delays;
  std::map<std::uint64_t, client_entry> clients;
  // list_page::revision: the log index of the newest value event of an id
  // outside the reserved prefix. Kept, not derived: removals leave no entry.
  std::uint64_t values_revision = 0;

  template <class A>
  void serialize(A& ar) {
    ar(applied, now_ms, values, sessions, locks, topics, promises, delays, clients,
       values_revision);
  }
  friend bool operator==(const store_state&, const store_state&) = default;
};

} // namespace dref::store
