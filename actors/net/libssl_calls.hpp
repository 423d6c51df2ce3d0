#pragma once
// libssl_calls.cpp wraps libssl's I/O calls for CAF's TLS layer. A
// static library's object is linked only when something refers to it:
// configure() calls this so that every program with TLS gets the wrappers.

namespace dref::net::detail {

bool libssl_calls_linked() noexcept;

} // namespace dref::net::detail
