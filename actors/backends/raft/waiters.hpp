#pragma once
// Who waits in the node for a proposal's or a read's answer: a caller's
// response promise, or one item of a client's batch (protocol's
// store_batches.hpp), whose batch is answered in one message once its last
// item is. The node's parts keep these (proposal_tracker, read_rounds) and
// call deliver() exactly once, as they would on a promise; a batch item's
// error becomes its outcome's `failed`.

#include "dref/protocol/caf/bridge.hpp"
#include "dref/protocol/store_batches.hpp"

#include <algorithm>
#include <caf/error.hpp>
#include <caf/response_promise.hpp>
#include <caf/typed_response_promise.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>

namespace dref::raft::node {

// A batch's answer, shared by its items' waiters. A batch of forwarded
// proposals (with_index) is answered with the highest log index among its
// items' entries besides, where a forward alone carries its own: the
// follower answers its callers once it applied that far.
template <class BatchReply>
class batch_answer {
public:
  batch_answer(caf::response_promise promise, std::size_t items, bool with_index = false)
      : promise_(std::move(promise))
      , missing_(items)
      , with_index_(with_index) {
    reply_.outcomes.resize(items);
  }

  template <class Reply, class... Index>
  void set(std::size_t slot, Reply&& reply, Index... index) {
    using item_reply = decltype(reply_.outcomes[slot].reply);
    if constexpr (std::is_assignable_v<item_reply&, Reply&&>)
      reply_.outcomes[slot].reply = std::forward<Reply>(reply);
    else // a watch's start: never a batch item
      reply_.outcomes[slot].failed = dref::error{errc::internal, "not an answer to a batch item"};
    ((highest_index_ = std::max<std::uint64_t>(highest_index_, index)), ...);
    one_done();
  }
  void fail(std::size_t slot, const caf::error& err) {
    reply_.outcomes[slot].failed = from_caf_error(err);
    one_done();
  }

private:
  void one_done() {
    if (--missing_ != 0)
      return;
    if (with_index_)
      promise_.deliver(std::move(reply_), highest_index_);
    else
      promise_.deliver(std::move(reply_));
  }

  caf::response_promise promise_;
  BatchReply reply_;
  std::size_t missing_;
  bool with_index_;
  std::uint64_t highest_index_ = 0;
};

// A promise, or one slot of a batch answered with Reply items.
template <class BatchReply>
class waiter {
public:
  waiter() = default;
  // Implicit, like the promises the parts kept before batches.
  waiter(caf::response_promise promise)
      : promise_(std::move(promise)) {}
  template <class... Ts>
  waiter(caf::typed_response_promise<Ts...> promise)
      : promise_(promise) {}
  waiter(std::shared_ptr<batch_answer<BatchReply>> batch, std::size_t slot)
      : batch_(std::move(batch))
      , slot_(slot) {}

  // The answer; for a promise, with whatever else its caller expects (a
  // forwarded proposal's log index, a watch's applied index alone).
  template <class Reply, class... More>
  void deliver(Reply&& reply, More&&... more) {
    if (batch_)
      batch_->set(slot_, std::forward<Reply>(reply), std::forward<More>(more)...);
    else
      promise_.deliver(std::forward<Reply>(reply), std::forward<More>(more)...);
  }
  void deliver(caf::error err) {
    if (batch_)
      batch_->fail(slot_, err);
    else
      promise_.deliver(std::move(err));
  }

private:
  caf::response_promise promise_;
  std::shared_ptr<batch_answer<BatchReply>> batch_;
  std::size_t slot_ = 0;
};

using proposal_waiter = waiter<protocol::proposal_batch_reply>;
using read_waiter = waiter<protocol::read_batch_reply>;

} // namespace dref::raft::node
