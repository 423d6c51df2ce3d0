#pragma once
// Reads of the store's applied state, as wire types: a ref, lock or topic
// actor asks its backend (locally or across the cluster) with store_read.

#include "dref/protocol/error.hpp"
#include "dref/protocol/store_results.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace dref::protocol {

enum class read_kind : std::uint8_t {
  value = 0,
  lock = 1,
  topic = 2, // uses from_seq and max_messages
  promise = 3,
  delay = 4,
  session = 5,
  // Ids under a prefix, in order, paged: id is the prefix (may be empty),
  // after the last id of the previous page (exclusive; empty: from the
  // start), max_messages the page's limit (0: store::max_list_page). The
  // contract is above store::store::list.
  list = 6,
  // A named query (store/named_commands.hpp) of the value at id: command
  // names it, args is its argument. Answers query_answer; nothing changes.
  query = 7,
};

struct store_read {
  static constexpr std::string_view wire_name = "store.read";
  read_kind kind = read_kind::value;
  std::string id;
  std::uint64_t from_seq = 0;
  std::uint64_t max_messages = 0;
  std::string after{};   // list only
  std::string command{}; // query only: its name
  std::string args{};    // query only: its argument
  // Answered from the state of the replica that gets it, without making
  // sure it is current (raft: no ReadIndex round; it may lag the leader).
  // Memory and redis have one copy: there it changes nothing.
  bool stale = false;
  template <class A>
  void serialize(A& ar) {
    ar(kind, id, from_seq, max_messages, after, command, args, stale);
  }
  friend bool operator==(const store_read&, const store_read&) = default;
};

// Append only.
using read_result = std::variant<value_state, lock_state, topic_page, promise_state, delay_state,
                                 session_state, list_page, query_answer>;

struct store_read_reply {
  static constexpr std::string_view wire_name = "store.read_reply";
  std::optional<dref::error> error;
  read_result value;
  // The applied index the read saw: a reader can wait for its own writes.
  std::uint64_t applied_index = 0;
  template <class A>
  void serialize(A& ar) {
    ar(error, value, applied_index);
  }
  friend bool operator==(const store_read_reply&, const store_read_reply&) = default;
};

} // namespace dref::protocol
