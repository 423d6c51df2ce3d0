#pragma once
// The member's copy of the replicated store: applies committed entries in
// log order, each at most once (an entry at or below the applied index is
// ignored), answers what each one changed and which member-directory
// entries ("dref/members/<name>": where a member listens) it touched,
// restores from a leader's snapshot, and says when this member, leading,
// should propose a session-expiry check: time moves inside the store only
// through entries, so the leader proposes one check at a time, at most once
// per interval, while sessions exist. Time comes in as arguments.

#include "dref/protocol/result.hpp"
#include "dref/raft/core/node.hpp"
#include "dref/store/input_checks.hpp"
#include "dref/store/store.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dref::raft::node {

// Where a member's address is kept in the store, so that every member can
// reach members added after it started (written only by
// cmd_member_announce: store/input_checks.hpp).
inline constexpr std::string_view directory_prefix = store::member_directory_prefix;

// A member-directory entry: a member's name and address.
struct member_address {
  std::string name;
  std::string address;
  friend bool operator==(const member_address&, const member_address&) = default;
};

class state_machine {
public:
  state_machine() = default;
  // own_name: this member, whose own directory entry teaches it nothing.
  // commands: the named commands and queries it runs (null: the built-ins).
  state_machine(store::limits limits, std::string own_name,
                std::shared_ptr<const store::command_registry> commands = nullptr);

  struct applied_entry {
    bool fresh = false; // false: at or below the applied index, ignored
    // The store's answer (or why the entry could not be decoded); none for
    // an entry that holds no command (a config change, a new leader's
    // empty entry).
    std::optional<protocol::store_reply> reply;
    std::vector<protocol::store_event> events;
    // Directory entries the events wrote, other members' only.
    std::vector<member_address> members;
    // The entry's named command, when it is one (for the leader hooks).
    std::optional<protocol::cmd_run> command;
  };

  applied_entry apply(const core::entry& entry);

  // Replaces the store with a leader's snapshot; the directory entries it
  // holds (this member's own among them). An error: the snapshot cannot be
  // restored, and the store is unchanged.
  result<std::vector<member_address>> install(const core::snapshot& snap);

  std::uint64_t applied() const { return applied_; }
  // A digest of the whole store (of its snapshot's bytes): equal on every
  // member at one applied index. It costs a snapshot: on request only.
  std::uint64_t state_digest() const;
  const store::store& store() const { return store_; }

  // --- session expiry, while this member leads
  // The encoded proposal of an expiry check when one is due at now, as
  // leader in term (the check is then in flight until applied, refused by
  // expiry_check_refused(), or the term ends: a check proposed in a term
  // this member stopped leading may never commit, and waiting for it would
  // stop expiry for good should this member lead again); leader_time_ms is
  // the leader's time (leader_clock.hpp), stamped into it.
  std::optional<std::string> expiry_check(std::uint64_t term,
                                          std::chrono::steady_clock::time_point now,
                                          std::chrono::milliseconds interval,
                                          std::uint64_t leader_time_ms);
  // The Raft core did not take the check.
  void expiry_check_refused() { expiry_in_flight_ = false; }

private:
  store::store store_;
  std::string own_name_;
  std::uint64_t applied_ = 0;
  bool expiry_in_flight_ = false;
  std::uint64_t expiry_term_ = 0; // the term the check in flight was proposed in
  std::chrono::steady_clock::time_point last_expiry_check_{};
};

} // namespace dref::raft::node
