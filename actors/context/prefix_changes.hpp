#pragma once
// What the events of a prefix watch mean to its watcher (the contract is
// above context::watch_prefix): the changes of the values under the prefix,
// each id's in version order, none twice. It keeps the newest version it
// saw of each id, and whether the id was there, so that a catch-up
// (prefix_catch_up.hpp) reports only what moved and learns what is gone.
// Plain C++: events in, changes out.

#include "dref/change.hpp"
#include "dref/protocol/store_results.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace dref::detail {

class prefix_changes {
public:
  // key: the watch's key ("ks/*").
  explicit prefix_changes(std::string key)
      : key_(std::move(key)) {}

  // The changes e brings, with their ids (none when the watcher had it).
  std::vector<std::pair<std::string, byte_change>> on(const protocol::store_event& e);

private:
  struct seen {
    std::uint64_t version = 0;
    bool present = false;
  };
  // True when e is newer than what the watcher has of its id.
  bool news(const protocol::store_event& e) const;
  std::vector<std::pair<std::string, byte_change>> caught_up_to(const protocol::store_event& end);

  std::string key_;
  std::map<std::string, seen, std::less<>> ids_;
};

} // namespace dref::detail
