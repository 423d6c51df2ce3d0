#pragma once
// The timeouts of requests (a context's to its backend, from actors and from
// blocking calls; the cluster client's to its member), kept here instead
// of on CAF's clock. CAF 0.17 puts a request's timeout on its clock thread
// and wakes that thread twice per request (to set it, then to cancel it on
// the answer): a fifth of a raft client's CPU with hundreds of actors
// asking (bench/README.md). Here a deadline is an entry under a lock that
// wakes nobody. A thread wakes at the soonest deadline, at most once per
// `granularity`, and sends each request past its deadline and still
// unanswered the error CAF would (sec::request_timeout, as the response to
// that request), so the request's own error handler runs, in its actor, as
// for CAF's timeouts.
// A timeout so comes up to `granularity` late; an answer that comes after
// it is dropped by CAF, as after CAF's own.

#include <atomic>
#include <caf/fwd.hpp>
#include <caf/message_id.hpp>
#include <caf/weak_intrusive_ptr.hpp>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace dref::detail {

class request_deadlines {
public:
  // Set by whichever settles the request first: one of its handlers
  // (answered()), or the timeout sent here.
  using answer_flag = std::shared_ptr<std::atomic<bool>>;

  explicit request_deadlines(std::chrono::milliseconds granularity);
  // Joins the thread; the deadlines still pending are dropped.
  ~request_deadlines();
  request_deadlines(const request_deadlines&) = delete;
  request_deadlines& operator=(const request_deadlines&) = delete;

  // A flag for the next request's handlers to set.
  static answer_flag new_flag() { return std::make_shared<std::atomic<bool>>(false); }
  // What each handler of the request calls first; it touches nothing else,
  // so a handler may run after this object is gone.
  static void answered(const answer_flag& flag) noexcept { flag->store(true); }

  // The request of self answered by response_id times out after timeout
  // unless flag is set by then. Self may be a blocking actor, whose
  // receive() of that response then gets the timeout.
  void add(caf::abstract_actor* self, caf::message_id response_id,
           std::chrono::milliseconds timeout, answer_flag flag);

  // Deadlines kept (answered ones included until they are dropped), and
  // timeouts sent so far: for tests and figures.
  std::size_t kept();
  std::uint64_t timeouts_sent() const noexcept { return sent_.load(); }

private:
  struct entry {
    std::chrono::steady_clock::time_point deadline;
    caf::weak_actor_ptr requester;
    caf::message_id response_id;
    answer_flag flag;
  };
  struct later_first {
    bool operator()(const entry& a, const entry& b) const { return a.deadline > b.deadline; }
  };
  void run();
  void drop_answered(); // under mutex_

  const std::chrono::milliseconds granularity_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<entry> heap_; // soonest deadline first (std::push_heap, later_first)
  // The answered entries go when the heap has doubled since they last did,
  // so answered requests cost little memory for long.
  std::size_t swept_size_ = 1024;
  std::atomic<std::uint64_t> sent_{0};
  bool stopping_ = false;
  std::thread thread_; // started by the first add()
};

} // namespace dref::detail
