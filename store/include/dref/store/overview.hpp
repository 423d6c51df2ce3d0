#pragma once
// What a store holds, summarised for people and monitoring (the gateway's
// dashboard and /metrics): counts of everything, and the first rows of
// each kind in id order. Ids under reserved_prefix are left out. Never for
// decisions: a member's overview is its own applied state, maybe behind.

#include "dref/store/store.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace dref::store {

struct overview_bounds {
  std::size_t rows = 100;        // per kind
  std::size_t value_bytes = 256; // a longer value is cut (truncated)
  std::size_t last_messages = 5; // per topic
};

struct overview {
  struct value_row {
    std::string id;
    std::uint64_t version = 0;
    std::string value; // cut to value_bytes
    bool truncated = false;
  };
  struct lock_row {
    std::string id;
    protocol::lock_state state;
  };
  struct session_row {
    std::string id;
    std::uint64_t ttl_ms = 0;
    std::uint64_t deadline_ms = 0; // in the store's time (now_ms)
  };
  struct topic_row {
    std::string id;
    std::uint64_t next_seq = 1;
    std::vector<protocol::topic_message> last; // oldest first, message cut like values
  };

  std::uint64_t applied_index = 0;
  std::uint64_t now_ms = 0;
  std::uint64_t values_revision = 0;
  // Counts over the whole store (client ids only).
  std::uint64_t values = 0;
  std::uint64_t sessions = 0;
  std::uint64_t locks_held = 0;
  std::uint64_t lock_waiters = 0;
  std::uint64_t topics = 0;
  std::uint64_t promises = 0;
  std::uint64_t delays = 0;
  // The first rows of each kind, in id order; *_more: rows left out.
  std::vector<value_row> value_rows;
  std::vector<lock_row> lock_rows;
  std::vector<session_row> session_rows;
  std::vector<topic_row> topic_rows;
  bool values_more = false;
  bool locks_more = false;
  bool sessions_more = false;
  bool topics_more = false;
};

overview summarise(const store& s, const overview_bounds& bounds = {});

} // namespace dref::store
