// Elections seen from outside (election_observer, the contract is in
// election.hpp), and the leader's proclamation.
#include "dref/context.hpp"
#include "dref/election.hpp"
#include "election_reads.hpp"

namespace dref {

election_observer::election_observer(std::shared_ptr<detail::context_impl> ctx, std::string name)
    : ctx_(std::move(ctx))
    , name_(std::move(name))
    , lock_id_("election/" + name_) {}

std::optional<std::string> election_observer::leader() const {
  return detail::read_leader(*ctx_, lock_id_);
}

// The value first, then the lock: a proclamation whose token is the lock's
// current one belongs to the term that is current at the second read.
std::optional<proclamation> election_observer::proclaimed() const {
  auto value =
      ctx_->read(protocol::store_read{protocol::read_kind::value, lock_id_, 0, 0}, std::nullopt);
  if (!value && value.error().code == errc::not_found)
    return std::nullopt;
  if (!value)
    throw error_exception(value.error());
  auto decoded = detail::decode_proclamation(std::get<protocol::value_state>(*value).value);
  if (!decoded)
    return std::nullopt;
  auto lock = ctx_->read(detail::leader_read(lock_id_), std::nullopt);
  if (!lock)
    throw error_exception(lock.error());
  const auto& state = std::get<protocol::lock_state>(*lock);
  if (!state.held || state.token != decoded->token)
    return std::nullopt;
  return decoded;
}

subscription election_observer::observe(std::function<void(std::optional<std::string>)> fn) const {
  return detail::observe_leader(*ctx_, lock_id_, std::move(fn));
}

subscription election_observer::on_proclaimed(std::function<void(const proclamation&)> fn) const {
  ref<std::string, raw_codec> value{detail::ref_core{ctx_, lock_id_}};
  return value.on_change([fn = std::move(fn)](const change<std::string>& c) {
    if (c.new_value)
      if (auto p = detail::decode_proclamation(*c.new_value))
        fn(*p);
  });
}

void election::proclaim(const std::string& value) {
  auto token = fencing_token();
  if (!is_leader() || token == 0)
    throw error_exception(detail::not_leading(*state_));
  auto bytes = detail::encode_proclamation({candidate(), token, value});
  auto written = state_->ctx->propose(
      protocol::cmd_fenced{protocol::write_fence{state_->lock_id, token},
                           protocol::cmd_set{state_->lock_id, std::move(bytes)}},
      std::nullopt);
  if (!written)
    throw error_exception(written.error());
}

election_observer context::observe_election(const dref::id& name) {
  if (impl_->stopped)
    throw error_exception(detail::context_impl::shut_down_error());
  return election_observer{impl_, name.str()};
}

} // namespace dref
