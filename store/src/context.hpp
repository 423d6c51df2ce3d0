#pragma once
// One apply's inputs the handlers share: where in the log, when, and where
// change events go.

#include "dref/store/store.hpp"

#include <cstdint>
#include <vector>

namespace dref::store {

struct store::context {
  std::uint64_t index = 0;
  std::uint64_t now_ms = 0;
  std::vector<protocol::store_event>& events;

  protocol::store_event& emit(protocol::event_kind kind, const std::string& id) {
    auto& e = events.emplace_back();
    e.kind = kind;
    e.id = id;
    e.new_version = index;
    return e;
  }
};

} // namespace dref::store
