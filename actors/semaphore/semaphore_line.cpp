// What semaphore_line.hpp declares.
#include "semaphore_line.hpp"

#include "context_impl.hpp"
#include "listing.hpp"

#include <atomic>
#include <caf/scheduled_actor.hpp>

namespace dref::detail {

using namespace protocol;

result<void> check_limit(const std::string& semaphore_id, std::int64_t limit) {
  if (limit < 1)
    return error{errc::invalid_argument, "semaphore '" + semaphore_id + "': a limit of " +
                                             std::to_string(limit) +
                                             " permits is refused; it must be 1 or more"};
  return {};
}

result<void> check_permits(const std::string& semaphore_id, std::int64_t limit,
                           std::int64_t permits) {
  if (permits < 1 || permits > limit)
    return error{errc::invalid_argument, "semaphore '" + semaphore_id + "': a request for " +
                                             std::to_string(permits) +
                                             " permits is refused; it must be 1 to " +
                                             std::to_string(limit) + " (the limit)"};
  return {};
}

std::string line_key(const std::string& semaphore_id) {
  return semaphore_id + "/*";
}

std::string next_holder(const std::string& session) {
  static std::atomic<std::uint64_t> requests{0};
  return session + "." + std::to_string(++requests);
}

error lapsed_while_waiting(const std::string& semaphore_id) {
  return error{errc::session_expired,
               "semaphore '" + semaphore_id + "': the session lapsed while waiting"};
}

namespace {

store_read page_request(const std::string& semaphore_id, const std::string& after) {
  return list_request(semaphore_id + "/", after, 0);
}

// Pages of one listing: false when a page was read at another revision
// than the first (the caller starts again).
bool add_page(line& out, std::uint64_t& revision, list_page page) {
  if (out.empty() && revision == 0)
    revision = page.revision;
  else if (page.revision != revision)
    return false;
  for (auto& listed : page.ids)
    out.push_back(std::move(listed));
  return true;
}

struct async_listing : std::enable_shared_from_this<async_listing> {
  std::shared_ptr<context_impl> ctx;
  caf::scheduled_actor* self = nullptr;
  std::string semaphore_id;
  std::function<void(result<line>)> done;
  line so_far;
  std::uint64_t revision = 0;

  void next(const std::string& after) {
    ctx->async_read(self, page_request(semaphore_id, after), std::nullopt,
                    [me = shared_from_this()](result<read_result> got) {
                      auto page = page_of(std::move(got));
                      if (!page)
                        return me->done(std::move(page).error());
                      bool more = page->more;
                      if (!add_page(me->so_far, me->revision, std::move(*page))) {
                        me->so_far.clear();
                        me->revision = 0;
                        return me->next({});
                      }
                      if (more && !me->so_far.empty())
                        return me->next(me->so_far.back().id);
                      me->done(std::move(me->so_far));
                    });
  }
};

} // namespace

result<line> read_line(context_impl& ctx, const std::string& semaphore_id) {
  line out;
  std::uint64_t revision = 0;
  std::string after;
  for (;;) {
    auto page = page_of(ctx.read(page_request(semaphore_id, after), std::nullopt));
    if (!page)
      return std::move(page).error();
    bool more = page->more;
    if (!add_page(out, revision, std::move(*page))) {
      out.clear();
      revision = 0;
      after.clear();
      continue;
    }
    if (!more || out.empty())
      return out;
    after = out.back().id;
  }
}

void async_read_line(const std::shared_ptr<context_impl>& ctx, caf::scheduled_actor* self,
                     const std::string& semaphore_id, std::function<void(result<line>)> done) {
  auto listing = std::make_shared<async_listing>();
  listing->ctx = ctx;
  listing->self = self;
  listing->semaphore_id = semaphore_id;
  listing->done = std::move(done);
  listing->next({});
}

} // namespace dref::detail
