// What lapse_alarm.hpp declares.
#include "lapse_alarm.hpp"

#include "context_impl.hpp"

namespace dref::detail {

void lapse_alarm::start(context_impl& ctx, caf::scheduled_actor* self, const std::string& session,
                        std::function<void()> on_lapse) {
  life_ = ctx.deadline_of(session);
  alarm_ = inbox::open(self);
  if (!life_)
    return alarm_.post(std::move(on_lapse));
  listening_ =
      life_->listen([on_lapse = std::move(on_lapse), posting = alarm_] { posting.post(on_lapse); });
}

void lapse_alarm::stop() {
  if (life_)
    life_->forget(listening_);
  listening_ = 0;
  alarm_.close();
}

} // namespace dref::detail
