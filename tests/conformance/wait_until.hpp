#pragma once
// Polls a condition until it holds or a generous deadline passes. The
// deadline is only a guard against hanging forever, never a timing goal.

#include <chrono>
#include <thread>

namespace dref::test {

template <class Condition>
bool wait_until(Condition condition, std::chrono::milliseconds limit = std::chrono::seconds{20}) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds{2});
  }
  return true;
}

} // namespace dref::test
