#pragma once
// The watchers of a backend actor (memory or raft): actors that asked for
// the change events of an id ("*": of every id). Both backends keep their
// watchers here and send each applied event to them, in apply order.

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "dref/protocol/store_results.hpp"

namespace dref::raft::node {

class watcher_set {
public:
  // Once per (id, watcher): a watcher that asks again (a resumed watch) is
  // not sent every event twice.
  void add(const std::string& id, caf::actor watcher) {
    auto& list = by_id_[id];
    if (std::find(list.begin(), list.end(), watcher) == list.end())
      list.push_back(std::move(watcher));
  }

  void remove(const std::string& id, const caf::actor& watcher) {
    auto it = by_id_.find(id);
    if (it == by_id_.end())
      return;
    std::erase(it->second, watcher);
    if (it->second.empty())
      by_id_.erase(it);
  }

  bool watched(const std::string& id) const { return by_id_.count(id) != 0; }

  // (id, watcher) pairs.
  std::size_t size() const {
    std::size_t out = 0;
    for (const auto& entry : by_id_)
      out += entry.second.size();
    return out;
  }

  // The ids watched one by one ("*" is not one).
  std::vector<std::string> ids() const {
    std::vector<std::string> out;
    for (const auto& [id, watchers] : by_id_)
      if (id != "*")
        out.push_back(id);
    return out;
  }

  // A watcher that went down.
  void drop(const caf::actor_addr& gone) {
    for (auto it = by_id_.begin(); it != by_id_.end();) {
      std::erase_if(it->second, [&](const caf::actor& w) { return w.address() == gone; });
      it = it->second.empty() ? by_id_.erase(it) : std::next(it);
    }
  }

  template <class Self>
  void notify(Self* self, const std::vector<protocol::store_event>& events) const {
    auto all = by_id_.find("*");
    for (const auto& e : events) {
      if (auto it = by_id_.find(e.id); it != by_id_.end())
        for (const auto& w : it->second)
          self->send(w, e);
      if (all != by_id_.end())
        for (const auto& w : all->second)
          self->send(w, e);
    }
  }

private:
  std::map<std::string, std::vector<caf::actor>, std::less<>> by_id_;
};

} // namespace dref::raft::node
