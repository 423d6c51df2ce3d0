#pragma once
// What the blocking and the actor forms of a semaphore share: the checks of
// a limit and of a request's permits, the watch key of the line, reading
// the line at one revision, and the error of a request lost while waiting.

#include "dref/protocol/result.hpp"
#include "dref/protocol/store_results.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace caf {
class scheduled_actor;
}

namespace dref::detail {

struct context_impl;

result<void> check_limit(const std::string& semaphore_id, std::int64_t limit);
result<void> check_permits(const std::string& semaphore_id, std::int64_t limit,
                           std::int64_t permits);

// "<id>/*": every request of the semaphore (watch_key.hpp).
std::string line_key(const std::string& semaphore_id);

// A holder name no other request of this process uses under `session`
// (blocking and from actors alike).
std::string next_holder(const std::string& session);

error lapsed_while_waiting(const std::string& semaphore_id);

using line = std::vector<protocol::listed_id>;

// Every id under "<id>/", all pages at one revision (a page read at another
// revision starts the listing again).
result<line> read_line(context_impl& ctx, const std::string& semaphore_id);
void async_read_line(const std::shared_ptr<context_impl>& ctx, caf::scheduled_actor* self,
                     const std::string& semaphore_id, std::function<void(result<line>)> done);

} // namespace dref::detail
