#pragma once
// The checks a command passes before it may touch any state: ids, sizes,
// metadata, session ttls and topic retention against the limits. The store
// runs them first on every command; the redis backend runs them before it
// sends a command to Redis, so that both refuse the same input with the
// same words.

#include "dref/protocol/result.hpp"
#include "dref/protocol/store_commands.hpp"
#include "dref/protocol/store_reads.hpp"
#include "dref/store/limits.hpp"

namespace dref::store {

result<void> check_input(const protocol::store_command& command, const limits& lim);

// A read's id: a malformed one is an error of its own, not "not found":
// nothing can ever be stored under it. (A session read names no stored
// thing: a malformed session is simply not open.)
result<void> check_read(const protocol::store_read& request, const limits& lim);

} // namespace dref::store
