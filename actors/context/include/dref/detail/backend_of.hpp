#pragma once
// The backend a context talks to, as the seam's typed actor: for tests and
// tools that hold a backend to the seam's contract directly
// (dref/backends/seam/backend_actor.hpp). Programs use the context.

#include "dref/backends/seam/backend_actor.hpp"
#include "dref/context.hpp"

namespace dref::detail {

backend::backend_actor backend_of(const context& ctx);

} // namespace dref::detail
