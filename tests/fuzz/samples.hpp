#pragma once
// Valid values the fuzz targets start from: every alternative of every
// variant at least once, containers empty and not, strings short and long
// enough to leave the small-string buffer.

#include "dref/protocol/admin.hpp"
#include "dref/protocol/handshake.hpp"
#include "dref/protocol/raft_messages.hpp"
#include "dref/protocol/store_commands.hpp"
#include "dref/protocol/store_reads.hpp"
#include "dref/protocol/store_results.hpp"

#include <vector>

namespace dref::fuzz::samples {

// One of every command, in variant order.
std::vector<protocol::store_command> commands();
std::vector<protocol::store_proposal> proposals();
std::vector<protocol::store_reply> replies();
std::vector<protocol::store_event> events();
std::vector<protocol::store_read> reads();
std::vector<protocol::store_read_reply> read_replies();

std::vector<protocol::raft_log_entry> log_entries();
// One message per payload alternative.
std::vector<protocol::raft_message> raft_messages();
std::vector<protocol::raft_snapshot_metadata> snapshot_metadata();

std::vector<protocol::node_status> node_statuses();

} // namespace dref::fuzz::samples
