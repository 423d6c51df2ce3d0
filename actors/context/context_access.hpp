#pragma once
// The implementation behind a context, for the primitives of this library
// that hold it beside a handle (a latch waits through it from actors).

#include "dref/context.hpp"

#include <memory>

namespace dref::detail {

struct context_impl;

std::shared_ptr<context_impl> impl_of(const context& ctx);

} // namespace dref::detail
