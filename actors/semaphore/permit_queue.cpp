// The queue rule of permit_queue.hpp.
#include "permit_queue.hpp"

#include <algorithm>
#include <charconv>

namespace dref::detail {

std::string request_id(std::string_view semaphore, std::string_view holder, std::int64_t permits) {
  std::string id;
  id.reserve(semaphore.size() + holder.size() + 24);
  id.append(semaphore).append("/").append(holder).append("@").append(std::to_string(permits));
  return id;
}

std::optional<std::int64_t> requested_permits(std::string_view semaphore, std::string_view id) {
  if (id.size() <= semaphore.size() + 1 || !id.starts_with(semaphore) ||
      id[semaphore.size()] != '/')
    return std::nullopt;
  auto rest = id.substr(semaphore.size() + 1);
  auto at = rest.rfind('@');
  if (at == std::string_view::npos || at == 0 || rest.find('/') != std::string_view::npos)
    return std::nullopt;
  auto digits = rest.substr(at + 1);
  std::int64_t permits = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), permits);
  if (ec != std::errc{} || end != digits.data() + digits.size() || permits < 1)
    return std::nullopt;
  return permits;
}

queue_standing standing_in(const std::vector<protocol::listed_id>& listing,
                           std::string_view semaphore, std::int64_t limit, std::string_view mine) {
  struct request {
    std::uint64_t version;
    std::int64_t permits;
    bool mine;
  };
  std::vector<request> line;
  line.reserve(listing.size());
  for (const auto& listed : listing)
    if (auto permits = requested_permits(semaphore, listed.id))
      line.push_back({listed.version, *permits, listed.id == mine});
  std::sort(line.begin(), line.end(),
            [](const request& a, const request& b) { return a.version < b.version; });
  queue_standing out;
  bool blocked = false;
  for (const auto& r : line) {
    bool granted = !blocked && r.permits <= limit - out.held;
    if (granted)
      out.held += r.permits;
    else
      blocked = true;
    if (r.mine) {
      out.present = true;
      out.granted = granted;
    } else if (!granted && !out.present) {
      ++out.ahead;
    }
  }
  if (out.granted)
    out.ahead = 0;
  return out;
}

} // namespace dref::detail
