#pragma once
// A proposal's answer as the result type R the command gives (the store's
// contract), or errc::internal naming ref `id` when a backend broke it;
// and the one way a ref writes at a version.

#include "dref/detail/ref_core.hpp"
#include "dref/protocol/result.hpp"
#include "dref/protocol/store_commands.hpp"
#include "dref/protocol/store_reads.hpp"
#include "dref/protocol/store_results.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace dref::detail {

// The alternative R of a backend's answer (a variant), or errc::internal
// naming what it was (`kind`: "result", "read").
template <class R, class Answer>
result<R> alternative_of(result<Answer> got, const std::string& id, const char* kind) {
  if (!got)
    return std::move(got).error();
  if (auto* r = std::get_if<R>(&*got))
    return std::move(*r);
  return error{errc::internal,
               "ref '" + id + "': the backend answered with another " + kind + " type"};
}

template <class R>
result<R> expect(result<protocol::store_result> got, const std::string& id) {
  return alternative_of<R>(std::move(got), id, "result");
}

// A read's answer as the read result R asked for, or errc::internal.
template <class R>
result<R> expect_read(result<protocol::read_result> got, const std::string& id) {
  return alternative_of<R>(std::move(got), id, "read");
}

inline protocol::store_read query_request(const std::string& id, std::string name, std::string args,
                                          bool stale) {
  protocol::store_read request{protocol::read_kind::query, id, 0, 0};
  request.command = std::move(name);
  request.args = std::move(args);
  request.stale = stale;
  return request;
}

// A write of bytes at expected_version: a patch against old_bytes (the
// value at that version) when given, large, and the patch is smaller;
// else a compare-and-set of the whole bytes (ref_core.cpp).
using cas_or_patch = std::variant<protocol::cmd_cas, protocol::cmd_patch>;
cas_or_patch write_at_version(std::string id, std::uint64_t expected_version,
                              const std::string* old_bytes, const std::string& bytes);

struct value_cache;
// A set of bytes as a patch against this context's copy of ref id, when
// the copy is current (with `wait`, as current_copy in value_cache.hpp
// waits) and the patch is smaller than the bytes.
std::optional<protocol::cmd_patch> patch_from_copy(const std::string& id, value_cache& cache,
                                                   const std::string& bytes, bool wait);

// A patch against this context's copy that the store refused because the
// copy was not what it took it for (another write came first, the id went,
// or the bytes differ): a set may go whole instead.
inline bool patch_refused(const error& e) {
  return e.code == errc::version_conflict || e.code == errc::not_found ||
         e.code == errc::decode_failed;
}

// The write alone, or under fence (ref_core.hpp's guarded).
inline protocol::store_command guarded(cas_or_patch write, const protocol::write_fence* fence) {
  return std::visit([&](auto& w) { return guarded(std::move(w), fence); }, write);
}

} // namespace dref::detail
