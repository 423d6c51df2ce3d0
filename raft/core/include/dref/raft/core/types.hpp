#pragma once
// Vocabulary of the Raft core. Node ids are u64 with 0 meaning "no node":
// the actor layer maps member names to ids, the core never sees names.

#include "dref/protocol/raft_log_entry.hpp"
#include "dref/protocol/raft_messages.hpp"

#include <cstdint>

namespace dref::raft::core {

using node_id = std::uint64_t;
inline constexpr node_id no_node = 0;

using entry = protocol::raft_log_entry;
using entry_type = protocol::raft_entry_type;
using message = protocol::raft_message;
using hard_state = protocol::raft_hard_state;

enum class role : std::uint8_t { follower, pre_candidate, candidate, leader };

} // namespace dref::raft::core
