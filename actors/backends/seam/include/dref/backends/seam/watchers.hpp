#pragma once
// The watchers of a backend actor (memory, raft, redis): actors that asked
// for the change events of a watch key (watch_key.hpp: an id, or a prefix
// of ids). The backends keep their watchers here and send each applied
// event to them, in apply order.

#include "dref/backends/seam/watch_key.hpp"
#include "dref/protocol/store_results.hpp"

#include <algorithm>
#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <map>
#include <string>
#include <vector>

namespace dref::raft::node {

class watcher_set {
public:
  // Once per (id, watcher): a watcher that asks again (a resumed watch) is
  // not sent every event twice.
  void add(const std::string& key, caf::actor watcher) {
    auto& list = (backend::is_prefix_key(key) ? by_prefix_ : by_id_)[key];
    if (std::find(list.begin(), list.end(), watcher) == list.end())
      list.push_back(std::move(watcher));
  }

  void remove(const std::string& key, const caf::actor& watcher) {
    auto& map = backend::is_prefix_key(key) ? by_prefix_ : by_id_;
    auto it = map.find(key);
    if (it == map.end())
      return;
    std::erase(it->second, watcher);
    if (it->second.empty())
      map.erase(it);
  }

  // True when the id is watched by itself (prefix watches aside).
  bool watched(const std::string& id) const { return by_id_.count(id) != 0; }

  // (key, watcher) pairs.
  std::size_t size() const {
    std::size_t out = 0;
    for (const auto* map : {&by_id_, &by_prefix_})
      for (const auto& entry : *map)
        out += entry.second.size();
    return out;
  }

  // The ids watched one by one.
  std::vector<std::string> ids() const { return keys(by_id_); }
  // The prefix keys watched ("ks/*").
  std::vector<std::string> prefix_keys() const { return keys(by_prefix_); }

  // A watcher that went down.
  void drop(const caf::actor_addr& gone) {
    for (auto* map : {&by_id_, &by_prefix_})
      for (auto it = map->begin(); it != map->end();) {
        std::erase_if(it->second, [&](const caf::actor& w) { return w.address() == gone; });
        it = it->second.empty() ? map->erase(it) : std::next(it);
      }
  }

  // Each event to the watchers of its id, then to those of each prefix
  // that covers it.
  template <class Self>
  void notify(Self* self, const std::vector<protocol::store_event>& events) const {
    for (const auto& e : events) {
      if (auto it = by_id_.find(e.id); it != by_id_.end())
        for (const auto& w : it->second)
          self->send(w, e);
      for (const auto& [key, watchers] : by_prefix_)
        if (backend::key_covers(key, e.id))
          for (const auto& w : watchers)
            self->send(w, e);
    }
  }

  // Events for the watchers of one key only (a prefix catch-up,
  // prefix_catch_up.hpp).
  template <class Self>
  void notify_key(Self* self, const std::string& key,
                  const std::vector<protocol::store_event>& events) const {
    const auto& map = backend::is_prefix_key(key) ? by_prefix_ : by_id_;
    auto it = map.find(key);
    if (it == map.end())
      return;
    for (const auto& e : events)
      for (const auto& w : it->second)
        self->send(w, e);
  }

private:
  using watcher_map = std::map<std::string, std::vector<caf::actor>, std::less<>>;
  static std::vector<std::string> keys(const watcher_map& map) {
    std::vector<std::string> out;
    for (const auto& entry : map)
      out.push_back(entry.first);
    return out;
  }

  watcher_map by_id_;
  watcher_map by_prefix_; // few, so each event is matched against each
};

} // namespace dref::raft::node
