// The keyspace's listing through a context (the contract is above
// context::list): one read of kind list, blocking or from an actor.
#include "listing.hpp"

#include "context_impl.hpp"
#include "dref/context.hpp"

#include <caf/scheduled_actor.hpp>

namespace dref {

using detail::list_request;
using detail::page_of;

protocol::list_page context::list(const std::string& prefix, const std::string& after,
                                  std::uint64_t limit) {
  return try_list(prefix, after, limit).value();
}

result<protocol::list_page> context::try_list(const std::string& prefix, const std::string& after,
                                              std::uint64_t limit, detail::timeout_ms timeout) {
  return page_of(impl_->read(list_request(prefix, after, limit), timeout));
}

void context::async_list(const std::shared_ptr<detail::context_impl>& impl,
                         caf::scheduled_actor* self, const std::string& prefix,
                         const std::string& after, std::uint64_t limit, detail::timeout_ms timeout,
                         std::function<void(result<protocol::list_page>)> done) {
  impl->async_read(self, list_request(prefix, after, limit), timeout,
                   [done = std::move(done)](result<protocol::read_result> got) {
                     done(page_of(std::move(got)));
                   });
}

} // namespace dref
