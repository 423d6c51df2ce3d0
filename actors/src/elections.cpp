// Elections: one campaign thread per election handle drives the lock
// commands (acquire with wait, release on resign, cancel on leave) and
// waits on events from a watch of the election's lock, which is set up
// before every acquire so that no grant or loss is missed.
#include <condition_variable>
#include <cstdio>
#include <thread>

#include "context_impl.hpp"
#include "dref/context.hpp"
#include "dref/election.hpp"

namespace dref::detail {

struct election_state : std::enable_shared_from_this<election_state> {
  std::shared_ptr<context_impl> ctx;
  std::string name;
  std::string lock_id;
  std::string candidate;

  std::mutex mutex;
  std::condition_variable changed;
  // Campaign state, guarded by mutex.
  std::string session;
  bool granted = false;
  bool dropped = false; // our wait or term ended without us asking
  bool stopping = false;
  bool resign_requested = false;
  std::uint64_t token = 0;
  std::vector<std::function<void(cancellation)>> on_elected;
  std::optional<cancellation> term;
  std::vector<std::thread> runners;

  std::atomic<bool> leading{false};
  std::atomic<std::uint64_t> leading_token{0};
  std::thread campaign;

  void on_event(const protocol::store_event& e) {
    {
      std::lock_guard guard{mutex};
      if (e.session != session || e.owner != candidate)
        return;
      switch (e.kind) {
        case protocol::event_kind::lock_granted:
          if (!granted) {
            granted = true;
            token = e.number;
          }
          break;
        case protocol::event_kind::lock_released:
          if (!granted && e.number == 0)
            dropped = true; // removed from the queue (session closed)
          break;
        case protocol::event_kind::lock_lost:
          if (granted && e.number == token)
            dropped = true;
          break;
        default: break;
      }
    }
    changed.notify_all();
  }

  // After a failed step: pauses before the next round; false when the
  // campaign should end instead (shutdown, leave()).
  bool may_retry_after(const error& failure) {
    if (failure.code == errc::shutting_down)
      return false;
    std::unique_lock guard{mutex};
    return !changed.wait_for(guard, std::chrono::milliseconds{100}, [&] { return stopping; });
  }

  void start_term() {
    std::vector<std::function<void(cancellation)>> callbacks;
    cancellation stop;
    {
      std::lock_guard guard{mutex};
      term = stop;
      callbacks = on_elected;
      leading_token = token;
      leading = true;
      for (auto& f : callbacks)
        runners.emplace_back([f, stop] { f(stop); });
    }
  }

  void end_term() {
    std::vector<std::thread> finished;
    std::optional<cancellation> ended;
    {
      std::lock_guard guard{mutex};
      leading = false;
      leading_token = 0;
      ended.swap(term);
      finished.swap(runners);
    }
    if (ended)
      ended->cancel();
    for (auto& t : finished)
      if (t.joinable())
        t.join();
  }

  void run() {
    while (true) {
      {
        std::lock_guard guard{mutex};
        if (stopping)
          return;
      }
      auto opened = ctx->session();
      if (!opened) {
        if (!may_retry_after(opened.error()))
          return;
        continue;
      }
      {
        std::lock_guard guard{mutex};
        session = *opened;
        granted = dropped = false;
        token = 0;
      }
      auto watching = ctx->watch(
        lock_id,
        [weak = weak_from_this()](const protocol::store_event& e) {
          if (auto self = weak.lock())
            self->on_event(e);
        },
        std::nullopt);
      if (!watching) {
        if (!may_retry_after(watching.error()))
          return;
        continue;
      }
      auto answer = ctx->propose(protocol::cmd_lock_acquire{lock_id, *opened, candidate, true},
                                 std::nullopt);
      if (!answer) {
        if (!may_retry_after(answer.error()))
          return;
        continue; // e.g. the session lapsed just now: open a new one
      }
      bool leave_now = false;
      {
        std::unique_lock guard{mutex};
        if (const auto& got = std::get<protocol::res_lock>(*answer); got.granted && !granted) {
          granted = true;
          token = got.token;
        }
        changed.wait(guard, [&] { return granted || dropped || stopping; });
        if (!granted && stopping)
          leave_now = true;
      }
      if (leave_now) {
        auto cancelled = ctx->propose(protocol::cmd_lock_cancel_wait{lock_id, *opened, candidate},
                                      std::nullopt);
        // A grant may have won the race with the cancellation.
        std::lock_guard guard{mutex};
        if (cancelled)
          if (auto* won = std::get_if<protocol::res_lock>(&*cancelled); won && won->granted)
            (void)ctx->propose(protocol::cmd_lock_release{lock_id, *opened, candidate, won->token},
                               std::nullopt);
        return;
      }
      if (!granted)
        continue; // dropped from the queue: campaign again with a new session
      start_term();
      bool lost = false;
      {
        std::unique_lock guard{mutex};
        changed.wait(guard, [&] { return dropped || stopping || resign_requested; });
        lost = dropped;
      }
      std::uint64_t held_token = leading_token;
      end_term();
      if (!lost)
        (void)ctx->propose(protocol::cmd_lock_release{lock_id, *opened, candidate, held_token},
                           std::nullopt);
      {
        std::lock_guard guard{mutex};
        resign_requested = false;
      }
      changed.notify_all(); // resign() waits for this
    }
  }

  void stop() {
    {
      std::lock_guard guard{mutex};
      stopping = true;
    }
    changed.notify_all();
    if (campaign.joinable() && campaign.get_id() != std::this_thread::get_id())
      campaign.join();
  }
};

} // namespace dref::detail

namespace dref {

election::election(std::shared_ptr<detail::election_state> state) : state_(std::move(state)) {}

election& election::operator=(election&& other) noexcept {
  if (this != &other) {
    leave();
    state_ = std::move(other.state_);
  }
  return *this;
}

election::~election() { leave(); }

const std::string& election::name() const { return state_->name; }
const std::string& election::candidate() const { return state_->candidate; }

bool election::is_leader() const noexcept { return state_ && state_->leading; }

std::uint64_t election::fencing_token() const noexcept {
  return state_ ? state_->leading_token.load() : 0;
}

std::optional<std::string> election::leader() const {
  auto got = state_->ctx->read(protocol::store_read{protocol::read_kind::lock, state_->lock_id, 0, 0},
                               std::nullopt);
  if (!got)
    throw error_exception(got.error());
  const auto& lock = std::get<protocol::lock_state>(*got);
  if (!lock.held)
    return std::nullopt;
  return lock.owner;
}

void election::when_elected(std::function<void(cancellation)> fn) {
  std::lock_guard guard{state_->mutex};
  state_->on_elected.push_back(fn);
  if (state_->term)
    state_->runners.emplace_back([fn, stop = *state_->term] { fn(stop); });
}

subscription election::observe(std::function<void(std::optional<std::string>)> fn) const {
  auto shared_fn = std::make_shared<std::function<void(std::optional<std::string>)>>(std::move(fn));
  auto watching = state_->ctx->watch(
    state_->lock_id,
    [shared_fn](const protocol::store_event& e) {
      switch (e.kind) {
        case protocol::event_kind::lock_granted: (*shared_fn)(e.owner); break;
        case protocol::event_kind::lock_lost: (*shared_fn)(std::nullopt); break;
        case protocol::event_kind::lock_released:
          if (e.number != 0) // 0: a waiter left the queue, the leader stays
            (*shared_fn)(std::nullopt);
          break;
        default: break;
      }
    },
    std::nullopt);
  if (!watching)
    throw error_exception(watching.error());
  // Watching first, then reading: a change in between is reported twice at
  // worst, never missed.
  (*shared_fn)(leader());
  return std::move(*watching);
}

void election::resign() {
  std::unique_lock guard{state_->mutex};
  if (!state_->leading)
    return;
  state_->resign_requested = true;
  state_->changed.notify_all();
  // From inside a when_elected callback: the campaign waits for that
  // callback to return, so waiting here would never end.
  for (const auto& runner : state_->runners)
    if (runner.get_id() == std::this_thread::get_id())
      return;
  state_->changed.wait(guard, [&] { return !state_->resign_requested || state_->stopping; });
}

void election::leave() {
  if (state_)
    state_->stop();
}

election context::join_election(const dref::id& name, std::string candidate) {
  if (impl_->stopped)
    throw error_exception(detail::context_impl::shut_down_error());
  if (candidate.empty()) {
    char generated[40];
    std::snprintf(generated, sizeof(generated), "candidate-%016llx",
                  static_cast<unsigned long long>(impl_->client_id));
    candidate = generated;
  }
  if (candidate.size() > 256)
    throw error_exception(error{errc::invalid_argument,
                                "election '" + name.str() + "': candidate names are at most 256 bytes"});
  auto state = std::make_shared<detail::election_state>();
  state->ctx = impl_;
  state->name = name.str();
  state->lock_id = "election/" + name.str();
  state->candidate = std::move(candidate);
  state->campaign = std::thread{[raw = state.get()] { raw->run(); }};
  return election{std::move(state)};
}

} // namespace dref
