// Barriers, blocking: make, and an arrival that runs the actor form's state
// machine (barrier_async.cpp) in an actor of its own and waits for its
// answer, so that both forms follow one rule by one implementation.
#include "dref/barrier.hpp"

#include "context_access.hpp"
#include "context_impl.hpp"

#include <caf/event_based_actor.hpp>
#include <future>

namespace dref::detail {

void start_arrival(std::shared_ptr<context_impl> ctx, caf::scheduled_actor* self, std::string id,
                   std::int64_t parties, std::optional<std::chrono::milliseconds> wait,
                   std::function<void(result<std::uint64_t>)> done);

namespace {

error parties_refused(const std::string& id, std::int64_t parties) {
  return error{errc::invalid_argument, "barrier '" + id + "': " + std::to_string(parties) +
                                           " parties are refused; it must be 2 to " +
                                           std::to_string(barrier::max_parties)};
}

} // namespace

} // namespace dref::detail

namespace dref {

barrier barrier::make(context& ctx, const dref::id& id, std::int64_t parties) {
  if (parties < 2 || parties > max_parties)
    throw error_exception(detail::parties_refused(id.str(), parties));
  auto made = ctx.make_or_join<std::int64_t, store::i64_codec>(parties, id);
  auto joined = made.created ? parties : made.handle.get();
  if (joined < 2 || joined > max_parties)
    throw error_exception(detail::parties_refused(id.str(), joined));
  return barrier{detail::impl_of(ctx), id.str(), joined};
}

result<std::uint64_t>
barrier::try_arrive_and_wait(std::optional<std::chrono::milliseconds> wait) const {
  auto answer = std::make_shared<std::promise<result<std::uint64_t>>>();
  auto answered = answer->get_future();
  impl_->sys.spawn([impl = impl_, id = id_, parties = parties_, wait,
                    answer](caf::event_based_actor* self) -> caf::behavior {
    detail::start_arrival(impl, self, id, parties, wait, [self, answer](result<std::uint64_t> got) {
      answer->set_value(std::move(got));
      self->quit();
    });
    return {[](int) {}};
  });
  try {
    return answered.get();
  } catch (const std::future_error&) { // the actor was stopped first: the system is going down
    return error{errc::shutting_down, "barrier '" + id_ + "': stopped while waiting"};
  }
}

} // namespace dref
