// A follower's proposals on their way to the leader: gathered into batches
// (forward_batches.hpp), sent with the ready round, and each answered to its
// caller as a forward alone would be (proposal_tracker.hpp): after this
// member applied the entries' index, parked to try again when the leader
// refused it or was lost, and a timeout when the request timed out.
#include "dref/protocol/caf/atoms.hpp"
#include "dref/protocol/caf/type_ids.hpp"
#include "node_state.hpp"

namespace dref::raft::node {

namespace {

using time_point = std::chrono::steady_clock::time_point;

// Forward number failed with err: parked to be tried again under the same
// sequence (not the leader any more, unreachable), or, on a timeout, the
// caller's answer.
void forward_failed(node_actor* self, std::uint64_t number, const caf::error& err) {
  auto timed_out = from_caf_error(err).code == errc::timeout;
  if (auto waiter = self->state.proposals.forward_failed(number, timed_out))
    waiter->deliver(err);
}

void answered(node_actor* self, const std::vector<std::uint64_t>& numbers,
              protocol::proposal_batch_reply& reply, std::uint64_t index, time_point sent) {
  auto& st = self->state;
  if (reply.outcomes.size() != numbers.size()) {
    auto broken = to_caf_error(
        error{errc::internal, "the leader answered a batch of " + std::to_string(numbers.size()) +
                                  " forwards with " + std::to_string(reply.outcomes.size())});
    for (auto number : numbers)
      forward_failed(self, number, broken);
    return;
  }
  auto applied = st.machine.applied();
  for (std::size_t i = 0; i < numbers.size(); ++i) {
    auto& outcome = reply.outcomes[i];
    if (outcome.failed) {
      forward_failed(self, numbers[i], to_caf_error(*outcome.failed));
      continue;
    }
    st.figures.forward_latency.observe(now() - sent);
    if (auto answer =
            st.proposals.forward_answered(numbers[i], std::move(outcome.reply), index, applied))
      answer->first.deliver(std::move(answer->second));
  }
}

void send_batch(node_actor* self, forward_batches::batch b) {
  auto& st = self->state;
  protocol::proposal_batch out;
  std::vector<std::uint64_t> numbers;
  for (auto number : b.numbers) // those routed again since stay out
    if (auto* p = st.proposals.forwarded(number)) {
      out.proposals.push_back(p->proposal);
      numbers.push_back(number);
    }
  if (numbers.empty())
    return;
  auto leader = st.members.reachable(b.leader);
  if (!leader) { // the link went down since: parked, routed on the next tick
    auto gone = to_caf_error(error{errc::unavailable, "the leader is not reachable"});
    for (auto number : numbers)
      forward_failed(self, number, gone);
    return;
  }
  auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(b.deadline - now());
  // The tracker drops the answer to a forward that was routed again since.
  self->request(*leader, remaining, protocol::forward_atom::value, std::move(out))
      .then([self, numbers,
             sent = now()](protocol::proposal_batch_reply& reply,
                           std::uint64_t index) { answered(self, numbers, reply, index, sent); },
            [self, numbers](caf::error& err) {
              for (auto number : numbers)
                forward_failed(self, number, err);
            });
}

} // namespace

void forward_to_leader(node_actor* self, core::node_id leader, routed_proposal p,
                       std::size_t bytes) {
  auto& st = self->state;
  auto deadline = p.deadline;
  auto number = st.proposals.forward(leader, std::move(p));
  for (auto& full : st.forwards.add(leader, number, bytes, deadline))
    send_batch(self, std::move(full));
  schedule_ready(self);
}

void send_forwards(node_actor* self) {
  if (auto gathered = self->state.forwards.take())
    send_batch(self, std::move(*gathered));
}

} // namespace dref::raft::node
