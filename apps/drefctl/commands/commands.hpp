#pragma once
// The commands: each checks its arguments, asks the cluster, prints its
// result through session::print and returns the exit code. Failures are
// thrown (usage_error, command_failed; see errors.hpp).

#include "invocation.hpp"
#include "session.hpp"

namespace drefctl {

// The cluster: status, membership and leadership (cluster.cpp).
int run(session& s, const status_command& cmd);
int run(session& s, const members_list_command& cmd);
int run(session& s, const members_add_command& cmd);
int run(session& s, const members_promote_command& cmd);
int run(session& s, const members_remove_command& cmd);
int run(session& s, const transfer_leader_command& cmd);

// Refs and topics: reads and writes (values.cpp).
int run(session& s, const get_command& cmd);
int run(session& s, const set_command& cmd);
int run(session& s, const cas_command& cmd);
int run(session& s, const add_command& cmd);
int run(session& s, const named_call_command& cmd);
int run(session& s, const rm_command& cmd);
int run(session& s, const publish_command& cmd);

// Ids by prefix, page by page, and transactions (keyspace.cpp).
int run(session& s, const ls_command& cmd);
int run(session& s, const txn_command& cmd);

// A command run under a lock, or holding a semaphore's permits (lock.cpp).
int run(session& s, const lock_command& cmd);
int run(session& s, const semaphore_command& cmd);
// Arrive at a barrier and wait for the round (lock.cpp).
int run(session& s, const barrier_command& cmd);

// Events of a ref or topic until --count or a signal (watch.cpp).
int run(session& s, const watch_command& cmd);

// SIGINT and SIGTERM end a watch. They are caught for every command, so
// that a locked command's Ctrl-C stops the command but not drefctl, which
// still releases the lock and reports the command's exit.
void catch_interrupts();

} // namespace drefctl
