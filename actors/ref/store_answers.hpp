#pragma once
// A proposal's answer as the result type R the command gives (the store's
// contract), or errc::internal naming ref `id` when a backend broke it.

#include "dref/protocol/result.hpp"
#include "dref/protocol/store_results.hpp"

#include <string>
#include <utility>
#include <variant>

namespace dref::detail {

template <class R>
result<R> expect(result<protocol::store_result> got, const std::string& id) {
  if (!got)
    return std::move(got).error();
  if (auto* r = std::get_if<R>(&*got))
    return std::move(*r);
  return error{errc::internal, "ref '" + id + "': the backend answered with another result type"};
}

} // namespace dref::detail
