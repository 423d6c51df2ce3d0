#pragma once
// A thread for a test body: an exception from its function (a dref call
// that timed out, say) becomes a test error when the thread is joined
// instead of std::terminate, and the thread is joined also when a failed
// BOOST_TEST_REQUIRE leaves the test early.

#include <boost/test/unit_test.hpp>
#include <exception>
#include <memory>
#include <string>
#include <thread>
#include <utility>

namespace dref::test {

class test_thread {
public:
  template <class F>
  explicit test_thread(F f)
      : failure_(std::make_shared<std::string>())
      , thread_([failure = failure_, f = std::move(f)]() mutable {
        try {
          f();
        } catch (const std::exception& e) {
          *failure = e.what();
        } catch (...) {
          *failure = "an exception that is not a std::exception";
        }
      }) {}
  test_thread(test_thread&&) noexcept = default;
  test_thread& operator=(test_thread&&) = delete;
  ~test_thread() { join(); }

  void join() {
    if (!thread_.joinable())
      return;
    thread_.join();
    if (!failure_->empty())
      BOOST_ERROR("a test thread threw: " << *failure_);
  }

private:
  std::shared_ptr<std::string> failure_;
  std::thread thread_;
};

} // namespace dref::test
