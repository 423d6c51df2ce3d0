// Elections: one campaign thread per election handle drives the lock
// commands (acquire with wait, release on resign, cancel on leave) and
// waits on events from a watch of the election's lock, which is set up
// before every acquire so that no grant or loss is missed.
#include "dref/context.hpp"
#include "dref/election.hpp"
#include "election_reads.hpp"
#include "election_state.hpp"

#include <cstdio>

namespace dref {

election::election(std::shared_ptr<detail::election_state> state)
    : state_(std::move(state)) {}

election& election::operator=(election&& other) noexcept {
  if (this != &other) {
    leave();
    state_ = std::move(other.state_);
  }
  return *this;
}

election::~election() {
  leave();
}

const std::string& election::name() const {
  return state_->name;
}
const std::string& election::candidate() const {
  return state_->candidate;
}

bool election::is_leader() const noexcept {
  return state_ && state_->leads_now();
}

std::uint64_t election::fencing_token() const noexcept {
  return state_ ? state_->leading_token.load() : 0;
}

std::optional<std::string> election::leader() const {
  return detail::read_leader(*state_->ctx, state_->lock_id);
}

void election::when_elected(std::function<void(cancellation)> fn) {
  std::lock_guard guard{state_->mutex};
  state_->on_elected.push_back(fn);
  if (state_->term)
    state_->runners.emplace_back([fn, stop = *state_->term] { fn(stop); });
}

subscription election::observe(std::function<void(std::optional<std::string>)> fn) const {
  return detail::observe_leader(*state_->ctx, state_->lock_id, std::move(fn));
}

void election::resign() {
  std::unique_lock guard{state_->mutex};
  if (!state_->leading) {
    state_->hand_to.reset(); // a resign_to's choice is for this term only
    return;
  }
  state_->resign_requested = true;
  state_->changed.notify_all();
  // From inside a when_elected callback: the campaign waits for that
  // callback to return, so waiting here would never end.
  for (const auto& runner : state_->runners)
    if (runner.get_id() == std::this_thread::get_id())
      return;
  state_->changed.wait(guard, [&] { return !state_->resign_requested || state_->stopping; });
}

void election::resign_to(const std::string& to) {
  std::string session;
  {
    std::lock_guard guard{state_->mutex};
    session = state_->session;
  }
  auto read = state_->ctx->read(detail::leader_read(state_->lock_id), std::nullopt);
  if (!read)
    throw error_exception(read.error());
  if (auto refused = detail::hand_over_refusal(*read, state_->name, session, state_->candidate, to))
    throw error_exception(*refused);
  {
    std::lock_guard guard{state_->mutex};
    // The store says it leads, but its term has not started here (or just
    // ended): resign() would do nothing, and nothing would be handed over.
    if (!state_->leading)
      throw error_exception(
          error{errc::not_holder,
                "election '" + state_->name + "': '" + state_->candidate + "' does not lead here"});
    state_->hand_to = to;
  }
  resign();
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
    throw error_exception(
        error{errc::invalid_argument,
              "election '" + name.str() + "': candidate names are at most 256 bytes"});
  auto state = std::make_shared<detail::election_state>();
  state->ctx = impl_;
  state->name = name.str();
  state->lock_id = "election/" + name.str();
  state->candidate = std::move(candidate);
  state->campaign = std::thread{[raw = state.get()] { raw->run(); }};
  // A term must not outlive the context: shutdown ends it as leave() does.
  impl_->at_shutdown(state, [weak = std::weak_ptr{state}] {
    if (auto alive = weak.lock())
      alive->stop();
  });
  state->await_in_line(impl_->options.request_timeout);
  return election{std::move(state)};
}

} // namespace dref
