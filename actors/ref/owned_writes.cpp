// Values owned by a session (protocol::cmd_set_owned has the contract):
// under this context's session, or, for a value with a TTL, under a session
// of its own that nobody renews, so that the store removes the value once
// the TTL has passed, on every backend, with the event watchers see.
#include "context_impl.hpp"
#include "dref/detail/ref_core.hpp"
#include "store_answers.hpp"
#include "ttl_sessions.hpp"
#include "value_cache.hpp"

namespace dref::detail {

using namespace protocol;

namespace {

// What a set_owned answer means for its caller, blocking or from an actor:
// a write raises the floor of this context's copy (it reads its own
// writes); a TTL session that surely owns nothing is to be closed at once;
// the TTL session's refusals are worded for the value.
struct owned_outcome {
  result<res_created> answer;
  bool close_session = false;
};

owned_outcome settle(result<store_result> got, const std::string& id,
                     std::optional<std::chrono::milliseconds> ttl, value_cache& cache) {
  auto written = expect<res_created>(std::move(got), id);
  bool wrote = written && written->created;
  if (wrote)
    cache.raise_floor(written->version);
  if (!written && ttl) {
    bool unknown = write_may_have_happened(written.error());
    return {ttl_error("ref '" + id + "'", *ttl, std::move(written).error()), !unknown};
  }
  return {std::move(written), ttl && !wrote};
}

} // namespace

result<res_created> ref_core::set_owned(std::string bytes, bool if_absent,
                                        std::optional<std::chrono::milliseconds> ttl,
                                        timeout_ms timeout) const {
  std::string session;
  if (ttl) {
    auto open = ttl_session(ctx_->client_id, *ttl);
    session = open.session;
    if (auto opened = ctx_->propose(std::move(open), timeout); !opened)
      return ttl_error("ref '" + id_ + "'", *ttl, std::move(opened).error());
  } else {
    auto mine = ctx_->session();
    if (!mine)
      return std::move(mine).error();
    session = std::move(*mine);
  }
  auto outcome =
      settle(ctx_->propose(cmd_set_owned{id_, std::move(bytes), session, if_absent}, timeout), id_,
             ttl, *cache_);
  if (outcome.close_session)
    (void)ctx_->propose(cmd_session_close{session}, timeout);
  return std::move(outcome.answer);
}

void ref_core::async_set_owned(caf::scheduled_actor* self, std::string bytes, bool if_absent,
                               std::optional<std::chrono::milliseconds> ttl, timeout_ms timeout,
                               std::function<void(result<res_created>)> done) const {
  auto ctx = ctx_;
  auto write = [self, ctx, id = id_, cache = cache_, bytes = std::move(bytes), if_absent, ttl,
                timeout, done](std::string session) mutable {
    ctx->async_propose(
        self, cmd_set_owned{id, std::move(bytes), session, if_absent}, timeout,
        [self, ctx, id, cache, ttl, timeout, session, done](result<store_result> got) {
          auto outcome = settle(std::move(got), id, ttl, *cache);
          if (outcome.close_session)
            ctx->async_propose(self, cmd_session_close{session}, timeout,
                               [](result<store_result>) {});
          done(std::move(outcome.answer));
        });
  };
  if (!ttl)
    return ctx->async_session(self, [write, done](result<std::string> session) mutable {
      if (!session)
        return done(std::move(session).error());
      write(std::move(*session));
    });
  auto open = ttl_session(ctx->client_id, *ttl);
  auto session = open.session;
  ctx->async_propose(self, std::move(open), timeout,
                     [write, done, id = id_, ttl, session](result<store_result> opened) mutable {
                       if (!opened)
                         return done(
                             ttl_error("ref '" + id + "'", *ttl, std::move(opened).error()));
                       write(session);
                     });
}

} // namespace dref::detail
