// The timeouts of the actors' requests to their backend (contract in
// request_deadlines.hpp).
#include "dref/requests/request_deadlines.hpp"

#include <algorithm>
#include <caf/abstract_actor.hpp>
#include <caf/actor_control_block.hpp>
#include <caf/error.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/scheduled_actor.hpp>
#include <caf/sec.hpp>
#include <pthread.h>

namespace dref::detail {

request_deadlines::request_deadlines(std::chrono::milliseconds granularity)
    : granularity_(granularity) {}

request_deadlines::~request_deadlines() {
  {
    std::lock_guard lock{mutex_};
    stopping_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable())
    thread_.join();
}

void request_deadlines::add(caf::abstract_actor* self, caf::message_id response_id,
                            std::chrono::milliseconds timeout, answer_flag flag) {
  entry e{std::chrono::steady_clock::now() + timeout, self->ctrl(), response_id, std::move(flag)};
  bool soonest = false;
  {
    std::lock_guard lock{mutex_};
    if (heap_.size() >= 2 * swept_size_)
      drop_answered();
    soonest = heap_.empty() || e.deadline < heap_.front().deadline;
    heap_.push_back(std::move(e));
    std::push_heap(heap_.begin(), heap_.end(), later_first{});
    if (!thread_.joinable())
      thread_ = std::thread{[this] { run(); }};
  }
  if (soonest) // the thread sleeps until the soonest deadline it knows of
    changed_.notify_one();
}

std::size_t request_deadlines::kept() {
  std::lock_guard lock{mutex_};
  return heap_.size();
}

void request_deadlines::drop_answered() {
  auto gone =
      std::remove_if(heap_.begin(), heap_.end(), [](const entry& e) { return e.flag->load(); });
  heap_.erase(gone, heap_.end());
  std::make_heap(heap_.begin(), heap_.end(), later_first{});
  swept_size_ = std::max<std::size_t>(heap_.size(), 1024);
}

void request_deadlines::run() {
  // Named for `top -H` and perf (else it has the name of the thread that
  // started it, often caf.multiplexer).
  pthread_setname_np(pthread_self(), "dref.deadlines");
  std::unique_lock lock{mutex_};
  for (;;) {
    // Until the soonest deadline, but no more often than granularity_: the
    // entries of answered requests stay until their deadlines or the next
    // drop, and under load there is one almost every microsecond.
    if (heap_.empty())
      changed_.wait(lock, [this] { return stopping_ || !heap_.empty(); });
    else
      changed_.wait_until(
          lock, std::max(heap_.front().deadline, std::chrono::steady_clock::now() + granularity_));
    if (stopping_)
      return;
    auto now = std::chrono::steady_clock::now();
    std::vector<entry> due;
    while (!heap_.empty() && heap_.front().deadline <= now) {
      std::pop_heap(heap_.begin(), heap_.end(), later_first{});
      due.push_back(std::move(heap_.back()));
      heap_.pop_back();
    }
    lock.unlock();
    for (auto& e : due) {
      // Whoever flips the flag first settles the request: an answer, or this.
      if (e.flag->exchange(true))
        continue;
      ++sent_;
      if (auto requester = e.requester.lock())
        requester->enqueue(caf::make_mailbox_element(
                               nullptr, e.response_id, {},
                               caf::make_message(caf::make_error(caf::sec::request_timeout))),
                           nullptr);
    }
    due.clear();
    lock.lock();
  }
}

} // namespace dref::detail
