#pragma once
// What an election's candidates and its observers read alike
// (elections.cpp, observer.cpp): the leader, its changes, and the leader's
// proclamation as stored in the value under the election's lock id
// ("<token> <candidate size> <candidate><value>", written fenced by the
// term's token).

#include "context_impl.hpp"
#include "dref/election.hpp"
#include "dref/store/delta.hpp"
#include "election_state.hpp"

#include <charconv>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace dref::detail {

inline std::optional<std::string> read_leader(context_impl& ctx, const std::string& lock_id) {
  auto got = ctx.read(leader_read(lock_id), std::nullopt);
  if (!got)
    throw error_exception(got.error());
  return leader_in(*got);
}

// Watching first, then reading: a change in between is reported twice at
// worst, never missed.
inline subscription observe_leader(context_impl& ctx, const std::string& lock_id,
                                   std::function<void(std::optional<std::string>)> fn) {
  auto shared_fn = std::make_shared<std::function<void(std::optional<std::string>)>>(std::move(fn));
  auto watching = ctx.watch(
      lock_id,
      [shared_fn](const protocol::store_event& e) {
        if (auto changed = leader_change(e))
          (*shared_fn)(std::move(*changed));
      },
      std::nullopt);
  if (!watching)
    throw error_exception(watching.error());
  (*shared_fn)(read_leader(ctx, lock_id));
  return std::move(*watching);
}

inline std::string encode_proclamation(const proclamation& p) {
  return std::to_string(p.token) + ' ' + std::to_string(p.candidate.size()) + ' ' + p.candidate +
         p.value;
}

// nullopt for bytes that are not a proclamation (written by something else).
inline std::optional<proclamation> decode_proclamation(std::string_view bytes) {
  proclamation out;
  std::size_t size = 0;
  const char* at = bytes.data();
  const char* end = bytes.data() + bytes.size();
  auto token = std::from_chars(at, end, out.token);
  if (token.ec != std::errc{} || token.ptr == end || *token.ptr != ' ')
    return std::nullopt;
  auto length = std::from_chars(token.ptr + 1, end, size);
  if (length.ec != std::errc{} || length.ptr == end || *length.ptr != ' ' ||
      static_cast<std::size_t>(end - length.ptr - 1) < size)
    return std::nullopt;
  out.candidate.assign(length.ptr + 1, size);
  out.value.assign(length.ptr + 1 + size, end);
  return out;
}

// The proclamation a value event of the election's lock id carries, if
// any (on_proclaimed: blocking and from actors).
inline std::optional<proclamation> proclamation_in(const protocol::store_event& e) {
  bool new_value = e.kind == protocol::event_kind::value_created ||
                   e.kind == protocol::event_kind::value_written ||
                   e.kind == protocol::event_kind::value_caught_up;
  if (!new_value)
    return std::nullopt;
  if (e.payload_type != protocol::payload_kind::delta)
    return decode_proclamation(e.payload);
  if (!e.old_value)
    return std::nullopt;
  auto whole = store::apply_delta(*e.old_value, e.payload, SIZE_MAX);
  return whole ? decode_proclamation(*whole) : std::nullopt;
}

// Why a candidate that does not lead cannot proclaim.
inline error not_leading(const election_state& state) {
  return error{errc::not_holder, "election '" + state.name + "': candidate '" + state.candidate +
                                     "' does not lead; only the leader proclaims"};
}

} // namespace dref::detail
