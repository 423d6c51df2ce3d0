#pragma once
// A semaphore's queue as a listing of its ids shows it, and who of it holds
// permits: pure, so that the blocking and the actor forms decide alike and
// the rule has its own deterministic test.
//
// Each request for permits is a value owned by the requester's session at
// "<semaphore>/<holder>@<permits>" (request_id). Its version, the log
// position that created it, is its place in line and its fencing token.
// The rule (strictly first in, first out): in version order, a request is
// granted while its permits and those of every request before it fit in
// the limit; the first that does not fit waits, and so does every request
// after it, even one small enough to fit (so a large request is never
// starved by small ones).

#include "dref/protocol/store_results.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dref::detail {

// The id of a request; holder is unique among the semaphore's requests.
std::string request_id(std::string_view semaphore, std::string_view holder, std::int64_t permits);

// The permits a request under `semaphore` asks for; nullopt for an id that
// is not a request of this semaphore (ignored by the rule).
std::optional<std::int64_t> requested_permits(std::string_view semaphore, std::string_view id);

struct queue_standing {
  bool present = false;    // the request is in line (not released, not lapsed)
  bool granted = false;    // it holds its permits
  std::uint64_t ahead = 0; // requests before it that wait too (0 when granted)
  std::int64_t held = 0;   // permits granted to all requests
};

// The standing of request `mine` (and the permits held in all) in one
// consistent listing of "<semaphore>/".
queue_standing standing_in(const std::vector<protocol::listed_id>& listing,
                           std::string_view semaphore, std::int64_t limit, std::string_view mine);

} // namespace dref::detail
