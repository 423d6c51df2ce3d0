#pragma once
// What the blocking get, the actor get and the body-holders' runs share
// (delays.cpp): running a claimed body, and the error a failed run gives
// the waiters.

#include "dref/protocol/result.hpp"
#include "dref/protocol/store_results.hpp"

#include <chrono>
#include <exception>
#include <functional>
#include <string>

namespace dref::detail {

struct context_impl;

// Runs body for a claim of `session`; when it throws, first tells every
// waiter (cmd_delay_fail, which also unclaims the delay), then rethrows.
std::string run_body_or_report(context_impl& ctx, const std::string& id, const std::string& session,
                               const std::function<std::string()>& body);

// What a body's exception says, as cmd_delay_fail carries it: its what(),
// cut to a length well within any value limit.
std::string failure_message(const std::exception_ptr& failure);

// What a failed run (on session, with message) means to a waiter.
error body_failed_error(const std::string& id, const std::string& session,
                        const std::string& message);

// How long a get without a body waits before it asks for a run again.
std::chrono::milliseconds request_interval(const context_impl& ctx);

} // namespace dref::detail
