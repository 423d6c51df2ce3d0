#pragma once
// How the typed actors (ref_actor.hpp, lock_actor.hpp, ...) answer: a
// pending<R>'s outcome goes to a response promise, errors as caf::error in
// dref's category.

#include "dref/pending.hpp"
#include "dref/protocol/caf/bridge.hpp"

#include <caf/response_promise.hpp>
#include <caf/unit.hpp>

namespace dref::detail {

template <class R, class Promise>
void deliver_to(pending<R> answer, Promise promise) {
  std::move(answer).then([promise](R value) mutable { promise.deliver(std::move(value)); },
                         [promise](const error& e) mutable { promise.deliver(to_caf_error(e)); });
}

// For replies of no value (handlers return caf::delegated<void>; CAF 0.17's
// typed promise of void cannot deliver).
inline void deliver_to(pending<void> answer, caf::response_promise promise) {
  std::move(answer).then([promise]() mutable { promise.deliver(caf::unit); },
                         [promise](const error& e) mutable { promise.deliver(to_caf_error(e)); });
}

} // namespace dref::detail
