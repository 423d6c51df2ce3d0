#pragma once
// Who the other members are and how to reach them: names by Raft id,
// addresses by name, the link to each address, the node of each member
// that greeted over its link, and the members cut off for failure drills.
// Configured peers stay unresolved until they greeted; a fresh cluster
// starts from the names they gave (initial_voters). Two configured
// addresses greeting under one name would be one Raft member voting twice:
// the second is kept away (and unresolved) and reported once.
//
// Addresses come from the configuration and from the store's member
// directory, which any client can write: an address that is not host:port
// is refused with an error, never thrown on, and is not recorded.
//
// Link is the handle of a peer link and of a member's node (caf::actor in
// the node actor, anything comparable in tests); this class starts nothing
// itself: it says which endpoint needs a link, the caller makes one.

#include "dref/config/node_config.hpp"
#include "dref/protocol/result.hpp"
#include "dref/raft/core/types.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace dref::raft::node {

// A stable 64-bit Raft id for a member name (never 0); also in node.hpp.
std::uint64_t member_id(std::string_view name);

// "host:port" or "[v6 address]:port" with a port 1-65535; an error (never an
// exception) for anything else.
result<config::endpoint> parse_member_address(std::string_view address);

template <class Link>
class member_directory {
public:
  // An address to dial: nothing to do (nullopt) when it is empty, this
  // member's own or already linked; an error when it is not host:port.
  using link_plan = result<std::optional<config::endpoint>>;

  explicit member_directory(std::string own_address = {})
      : own_(std::move(own_address)) {}

  const std::string& own_address() const { return own_; }

  // --- addresses and links
  link_plan link_needed(const std::string& address) const {
    if (address.empty() || address == own_ || links_.count(address))
      return std::optional<config::endpoint>{};
    auto target = parse_member_address(address);
    if (!target)
      return std::move(target).error();
    return std::optional<config::endpoint>{std::move(*target)};
  }

  void linked(const std::string& address, Link link) { links_[address] = std::move(link); }

  // name is a member, reachable at address when that is not empty: the
  // address is recorded unless refused (then the error says why).
  link_plan learn(const std::string& name, const std::string& address) {
    names_[member_id(name)] = name;
    if (address.empty())
      return std::optional<config::endpoint>{};
    auto plan = link_needed(address);
    if (plan)
      addresses_[name] = address;
    return plan;
  }

  // A configured peer: unresolved until it greeted.
  void expect(const std::string& address) { unresolved_.insert(address); }

  // address turned out to be this member: its link stopped.
  void is_self(const std::string& address) {
    links_.erase(address);
    unresolved_.erase(address);
  }

  const std::map<std::string, Link>& links() const { return links_; }

  // --- greetings
  struct clash {
    std::string other_address; // greeted first under the same name
    bool first_report = false; // not reported before
  };

  // Another configured address already greeted as name.
  std::optional<clash> clash_with(const std::string& address, const std::string& name) {
    for (const auto& [other_address, other_name] : greeted_)
      if (other_name == name && other_address != address)
        return clash{other_address, clashes_reported_.insert(name).second};
    return std::nullopt;
  }

  // The member name at address greeted; remote is its node.
  void connected(const std::string& address, const std::string& name, Link remote) {
    remotes_[member_id(name)] = std::move(remote);
    if (unresolved_.erase(address))
      greeted_[address] = name;
  }

  // The node of the member id while its link is up (it greeted under that
  // name), else null.
  const Link* remote_of(core::node_id id) const {
    auto it = remotes_.find(id);
    return it == remotes_.end() ? nullptr : &it->second;
  }

  // The link to name went down; its id.
  core::node_id disconnected(const std::string& name) {
    auto id = member_id(name);
    remotes_.erase(id);
    return id;
  }

  // The voters of a fresh cluster, self among them, sorted; none while a
  // configured peer has not greeted.
  std::optional<std::vector<core::node_id>> initial_voters(core::node_id self) const {
    if (!unresolved_.empty())
      return std::nullopt;
    std::vector<core::node_id> voters{self};
    for (const auto& [address, name] : greeted_)
      voters.push_back(member_id(name));
    std::sort(voters.begin(), voters.end());
    voters.erase(std::unique(voters.begin(), voters.end()), voters.end());
    return voters;
  }

  // --- reaching members
  // The link that carries Raft messages to id, unless what goes to id is
  // cut or id is unknown.
  std::optional<Link> link_for(core::node_id id) const {
    if (drops_outgoing(id))
      return std::nullopt;
    auto name = names_.find(id);
    if (name == names_.end())
      return std::nullopt;
    auto address = addresses_.find(name->second);
    if (address == addresses_.end())
      return std::nullopt;
    auto link = links_.find(address->second);
    if (link == links_.end())
      return std::nullopt;
    return link->second;
  }

  // The node of id when it greeted, its link is up and no direction of it
  // is cut (what is asked of it there needs an answer back).
  std::optional<Link> reachable(core::node_id id) const {
    auto remote = remotes_.find(id);
    if (remote == remotes_.end() || cuts_.count(id))
      return std::nullopt;
    return remote->second;
  }

  // --- failure drills: this member's side of its traffic with another one
  bool drops_outgoing(core::node_id id) const {
    auto it = cuts_.find(id);
    return it != cuts_.end() && it->second.outgoing;
  }
  bool drops_incoming(core::node_id id) const {
    auto it = cuts_.find(id);
    return it != cuts_.end() && it->second.incoming;
  }

  // Drops what goes to name (outgoing) and what comes from it (incoming)
  // from now on, exactly as given (both false heals); the link to tell
  // whether it drops outgoing traffic, when it has one.
  std::optional<Link> cut(const std::string& name, bool outgoing, bool incoming) {
    auto id = member_id(name);
    if (outgoing || incoming)
      cuts_[id] = link_cut{outgoing, incoming};
    else
      cuts_.erase(id);
    auto address = addresses_.find(name);
    if (address == addresses_.end())
      return std::nullopt;
    auto link = links_.find(address->second);
    if (link == links_.end())
      return std::nullopt;
    return link->second;
  }

  // --- lookups
  const std::string* name_of(core::node_id id) const {
    auto it = names_.find(id);
    return it == names_.end() ? nullptr : &it->second;
  }

  const std::string* address_of(const std::string& name) const {
    auto it = addresses_.find(name);
    return it == addresses_.end() ? nullptr : &it->second;
  }

private:
  std::string own_;
  std::map<core::node_id, std::string> names_;
  std::map<std::string, std::string> addresses_; // by name
  std::map<std::string, Link> links_;            // by address
  std::map<core::node_id, Link> remotes_;        // greeted and connected, by id
  struct link_cut {
    bool outgoing = false;
    bool incoming = false;
  };
  std::map<core::node_id, link_cut> cuts_;
  std::set<std::string> unresolved_;           // configured, not yet greeted
  std::map<std::string, std::string> greeted_; // configured address -> name
  std::set<std::string> clashes_reported_;     // names two addresses claim
};

} // namespace dref::raft::node
