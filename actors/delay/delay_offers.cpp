// Body-holders: a context with a delay handle that has a body answers a
// get() without one (cmd_delay_request, announced as delay_requested) by
// claiming the delay and running the body on a thread of its own, also
// when none of its callers waits (the contract is in delay.hpp).
#include "context_impl.hpp"
#include "delay_runs.hpp"
#include "dref/delay.hpp"

namespace dref::detail {

struct delay_offer {
  std::weak_ptr<context_impl> ctx;
  std::string id;
  std::function<std::string()> body;
  ~delay_offer() {
    if (auto alive = ctx.lock())
      alive->withdraw_delay_offer(id);
  }
};

std::shared_ptr<delay_offer> offer_delay_body(const std::shared_ptr<context_impl>& ctx,
                                              const std::string& id,
                                              std::function<std::string()> body) {
  auto offer = std::make_shared<delay_offer>();
  offer->ctx = ctx;
  offer->id = id;
  offer->body = std::move(body);
  if (ctx->add_delay_offer(offer))
    return offer; // an earlier offer's watch listens for this one too
  std::weak_ptr<context_impl> weak = ctx;
  auto watch = ctx->watch(
                      id,
                      [weak, id](const protocol::store_event& e) {
                        if (e.kind != protocol::event_kind::delay_requested)
                          return;
                        if (auto alive = weak.lock())
                          alive->start_offered_run(id);
                      },
                      std::nullopt)
                   .value();
  ctx->attach_delay_watch(id, std::move(watch));
  return offer;
}

bool context_impl::add_delay_offer(const std::shared_ptr<delay_offer>& offer) {
  std::lock_guard guard{delay_offers_.mutex};
  auto& offered = delay_offers_.by_id[offer->id];
  offered.offers.push_back(offer);
  return offered.watch.active();
}

void context_impl::attach_delay_watch(const std::string& id, subscription watch) {
  std::lock_guard guard{delay_offers_.mutex};
  auto it = delay_offers_.by_id.find(id);
  if (it != delay_offers_.by_id.end() && !it->second.watch.active())
    it->second.watch = std::move(watch);
}

void context_impl::withdraw_delay_offer(const std::string& id) {
  subscription ended; // cancelled outside the lock
  {
    std::lock_guard guard{delay_offers_.mutex};
    auto it = delay_offers_.by_id.find(id);
    if (it == delay_offers_.by_id.end())
      return;
    auto& offers = it->second.offers;
    std::erase_if(offers, [](const auto& weak) { return weak.expired(); });
    if (!offers.empty())
      return;
    ended = std::move(it->second.watch);
    delay_offers_.by_id.erase(it);
  }
}

void context_impl::start_offered_run(const std::string& id) {
  std::lock_guard guard{delay_offers_.mutex};
  if (delay_offers_.stopped || stopped)
    return;
  std::erase_if(delay_offers_.runs, [](offered_run& run) {
    if (!*run.finished)
      return false;
    run.thread.join();
    return true;
  });
  auto finished = std::make_shared<std::atomic<bool>>(false);
  std::weak_ptr<context_impl> weak = weak_from_this();
  delay_offers_.runs.push_back({std::thread{[weak, id, finished] {
                                  if (auto alive = weak.lock())
                                    alive->run_offered(id);
                                  *finished = true;
                                }},
                                finished});
}

void context_impl::run_offered(const std::string& id) {
  // Held outside the lock: the last reference going runs ~delay_offer,
  // which takes the lock.
  std::shared_ptr<delay_offer> offer;
  {
    std::lock_guard guard{delay_offers_.mutex};
    auto it = delay_offers_.by_id.find(id);
    if (it == delay_offers_.by_id.end())
      return;
    for (const auto& weak : it->second.offers)
      if ((offer = weak.lock()))
        break;
  }
  if (!offer)
    return;
  const auto& body = offer->body;
  if (!start_delay_run(id))
    return; // withdrawn, or a caller of this context runs it already
  auto session = this->session();
  if (session) {
    auto claimed = propose(protocol::cmd_delay_claim{id, *session}, std::nullopt);
    if (claimed &&
        std::get<protocol::res_delay>(*claimed).state == protocol::delay_claim_state::run_body) {
      try {
        auto value = run_body_or_report(*this, id, *session, body);
        (void)propose(protocol::cmd_delay_complete{id, *session, value}, std::nullopt);
      } catch (...) {
        // Reported to every waiter (delay_failed); nobody here to rethrow to.
      }
    }
  }
  end_delay_run(id);
}

void context_impl::stop_delay_offers() {
  std::vector<offered_run> runs;
  std::map<std::string, offers_of_id, std::less<>> ended; // watches end outside the lock
  {
    std::lock_guard guard{delay_offers_.mutex};
    delay_offers_.stopped = true;
    runs = std::move(delay_offers_.runs);
    ended = std::move(delay_offers_.by_id);
  }
  for (auto& run : runs) {
    if (run.thread.get_id() == std::this_thread::get_id())
      run.thread.detach(); // a body that stopped its own context: it ends by itself
    else
      run.thread.join();
  }
}

} // namespace dref::detail
