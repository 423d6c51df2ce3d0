#pragma once
// The CAF type-id block for every dref wire type. Append only: ids are
// assigned in order, and nodes exchange them on the wire.

#include "dref/protocol/admin.hpp"
#include "dref/protocol/caf/bridge.hpp"
#include "dref/protocol/handshake.hpp"
#include "dref/protocol/raft_messages.hpp"
#include "dref/protocol/store_batches.hpp"
#include "dref/protocol/store_commands.hpp"
#include "dref/protocol/store_reads.hpp"
#include "dref/protocol/store_results.hpp"

#include <caf/type_id.hpp>

CAF_BEGIN_TYPE_ID_BLOCK(dref, caf::first_custom_type_id)

CAF_ADD_TYPE_ID(dref, (dref::protocol::hello))
CAF_ADD_TYPE_ID(dref, (dref::protocol::hello_reply))
CAF_ADD_TYPE_ID(dref, (dref::protocol::store_proposal))
CAF_ADD_TYPE_ID(dref, (dref::protocol::store_reply))
CAF_ADD_TYPE_ID(dref, (dref::protocol::store_event))
CAF_ADD_TYPE_ID(dref, (dref::protocol::store_read))
CAF_ADD_TYPE_ID(dref, (dref::protocol::store_read_reply))
CAF_ADD_TYPE_ID(dref, (dref::protocol::raft_message))
CAF_ADD_TYPE_ID(dref, (dref::protocol::node_status))
CAF_ADD_TYPE_ID(dref, (dref::protocol::member_change))
CAF_ADD_TYPE_ID(dref, (dref::protocol::leader_transfer))
CAF_ADD_TYPE_ID(dref, (dref::protocol::admin_reply))
CAF_ADD_TYPE_ID(dref, (dref::protocol::limits_offer))
CAF_ADD_TYPE_ID(dref, (dref::protocol::proposal_batch))
CAF_ADD_TYPE_ID(dref, (dref::protocol::proposal_batch_reply))
CAF_ADD_TYPE_ID(dref, (dref::protocol::read_batch))
CAF_ADD_TYPE_ID(dref, (dref::protocol::read_batch_reply))

CAF_END_TYPE_ID_BLOCK(dref)
