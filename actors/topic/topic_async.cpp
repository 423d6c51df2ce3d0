// Topic subscriptions from actors, without gaps: the same steps as the
// blocking subscribe (watch first and buffer, replay the retained history
// from the requested seq, then hand over to the live events, skipping what
// the replay delivered), all in the subscribing actor's context, where the
// watch's inbox delivers the events: no lock, and f runs there too.
#include "context_impl.hpp"
#include "dref/topic.hpp"

#include <caf/scheduled_actor.hpp>
#include <utility>
#include <vector>

namespace dref::detail {

using namespace protocol;

namespace {

constexpr std::uint32_t replay_page = 256;

struct actor_reader : std::enable_shared_from_this<actor_reader> {
  std::shared_ptr<context_impl> ctx;
  caf::scheduled_actor* self = nullptr;
  std::string id;
  std::function<void(std::uint64_t, const std::string&)> deliver;
  std::function<void(result<subscription>)> done;
  bool live = false;      // history replayed: events go straight to deliver
  std::uint64_t next = 0; // lowest seq not yet delivered
  std::vector<std::pair<std::uint64_t, std::string>> buffered;

  void offer(std::uint64_t seq, const std::string& bytes) {
    if (seq >= next) {
      next = seq + 1;
      deliver(seq, bytes);
    }
  }

  void on_event(const store_event& e) {
    if (e.kind != event_kind::topic_published)
      return;
    if (live)
      offer(e.number, e.payload);
    else
      buffered.emplace_back(e.number, e.payload);
  }

  // Reads one page from next on; `events` rides along so that the watch
  // lives until the subscription is handed over.
  void replay(inbox events) {
    ctx->async_read(self, store_read{read_kind::topic, id, next, replay_page}, std::nullopt,
                    [me = shared_from_this(), events](result<read_result> page) {
                      if (!page)
                        return me->done(std::move(page).error());
                      auto& messages = std::get<topic_page>(*page).messages;
                      if (messages.empty())
                        return me->go_live(events);
                      for (const auto& m : messages)
                        me->offer(m.seq, m.message);
                      me->replay(events);
                    });
  }

  void go_live(const inbox& events) {
    for (const auto& [seq, bytes] : buffered)
      offer(seq, bytes);
    buffered.clear();
    live = true;
    done(events.to_subscription());
  }
};

} // namespace

void topic_core::async_publish(caf::scheduled_actor* self, std::string bytes,
                               std::function<void(result<std::uint64_t>)> done) const {
  ctx->async_propose(self, cmd_publish{id, std::move(bytes)}, std::nullopt,
                     [done](result<store_result> got) {
                       if (!got)
                         return done(std::move(got).error());
                       done(std::get<res_published>(*got).seq);
                     });
}

void topic_core::async_subscribe(caf::scheduled_actor* self, std::uint64_t from_seq,
                                 std::function<void(std::uint64_t, const std::string&)> f,
                                 std::function<void(result<subscription>)> done) const {
  auto reader = std::make_shared<actor_reader>();
  reader->ctx = ctx;
  reader->self = self;
  reader->id = id;
  reader->deliver = std::move(f);
  reader->done = std::move(done);
  reader->live = from_seq == 0;
  reader->next = from_seq;
  ctx->async_watch(
      self, id, [reader](const store_event& e) { reader->on_event(e); }, std::nullopt,
      [reader](result<inbox> watching) {
        if (!watching)
          return reader->done(std::move(watching).error());
        if (reader->live)
          return reader->done(watching->to_subscription());
        reader->replay(std::move(*watching));
      });
}

} // namespace dref::detail
