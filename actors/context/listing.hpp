#pragma once
// A listing as a store read (the contract is above context::list): the
// request, and its answer as a page. Shared by the context's list() and the
// recipes that read a line of ids (semaphore, barrier).

#include "dref/protocol/result.hpp"
#include "dref/protocol/store_reads.hpp"

#include <cstdint>
#include <string>

namespace dref::detail {

inline protocol::store_read list_request(const std::string& prefix, const std::string& after,
                                         std::uint64_t limit) {
  return protocol::store_read{protocol::read_kind::list, prefix, 0, limit, after};
}

inline result<protocol::list_page> page_of(result<protocol::read_result> got) {
  if (!got)
    return std::move(got).error();
  if (auto* page = std::get_if<protocol::list_page>(&*got))
    return std::move(*page);
  return error{errc::internal, "list: the backend answered with another read result"};
}

} // namespace dref::detail
