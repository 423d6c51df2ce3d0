#pragma once
// Leader hooks: callbacks a program registers that run on the raft member
// that leads, in the program that runs that member (members started with
// raft_member::start here, or dref-node with a plugin that registers them
// in its entry point, dref/plugin.hpp). A place for work one member at a
// time should do: announce the new leader, react to committed commands,
// notice members come and go. Never part of the replicated state.
//
//   dref::leader_hooks()
//     .on_elected([](const std::string& member, std::uint64_t term) { ... })
//     .on_command_committed([](const dref::committed_command& c) { ... });
//
// The contract:
// - on_elected(member, term): this member became the leader in term.
// - on_command_committed(c): a named command (dref/commands.hpp) was
//   applied here while this member led: the member, the ref id, the
//   command's name, argument and answer (bytes in the ref's codec) and the
//   version it left. Refused or failed commands are not reported.
// - on_follower_added(member) / on_follower_removed(member): a membership
//   change applied here while this member led (a learner or voter added; a
//   member removed). A promotion is neither.
// - on_restored(applied_index): this member started from its data
//   directory (a restart) and leads for the first time since; the state it
//   restored from its files (snapshot and log) is applied up to there.
// - A hook may run more than once for one event, and on more than one
//   member, across a leader change (a member elected that loses leadership
//   a moment later, a commit reported by an old leader that a new one also
//   applies); one may also not run (a leader that dies before applying).
//   Treat them as hints and make them idempotent; the replicated state is
//   the truth.
// - They run in the member's actor, one at a time (commits in log order):
//   keep them short and non-blocking (send a message to an actor of yours
//   for more). What a hook throws is logged, and the member goes on.
// - Register them before the member starts: it takes the hooks there are.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace dref {

struct committed_command {
  std::string leader; // the member that runs the hook
  std::string id;
  std::string name;
  std::string args;
  std::string answer;
  std::uint64_t version = 0;
};

// Every hook registered, by kind: what a member runs.
struct leader_hook_set {
  std::vector<std::function<void(const std::string& member, std::uint64_t term)>> elected;
  std::vector<std::function<void(const committed_command&)>> command_committed;
  std::vector<std::function<void(const std::string& member)>> follower_added;
  std::vector<std::function<void(const std::string& member)>> follower_removed;
  std::vector<std::function<void(std::uint64_t applied_index)>> restored;
};

class leader_hooks_registrar {
public:
  leader_hooks_registrar& on_elected(std::function<void(const std::string&, std::uint64_t)> f);
  leader_hooks_registrar& on_command_committed(std::function<void(const committed_command&)> f);
  leader_hooks_registrar& on_follower_added(std::function<void(const std::string&)> f);
  leader_hooks_registrar& on_follower_removed(std::function<void(const std::string&)> f);
  leader_hooks_registrar& on_restored(std::function<void(std::uint64_t)> f);
};

// This program's hooks, and a copy of them for a member that starts.
leader_hooks_registrar& leader_hooks();
std::shared_ptr<const leader_hook_set> registered_leader_hooks();

} // namespace dref
