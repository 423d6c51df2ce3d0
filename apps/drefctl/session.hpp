#pragma once
// A command's link to the cluster: the actor system, the first endpoint
// that answers, and a context on it; each made on first use, so that a
// command that fails early connects nowhere.

#include "dref/actors/node_system.hpp"
#include "dref/context.hpp"
#include "invocation.hpp"
#include "output.hpp"

#include <caf/actor_system.hpp>
#include <optional>
#include <string>

namespace drefctl {

class session {
public:
  explicit session(global_options options);

  const global_options& options() const { return options_; }
  caf::actor_system& system() { return system_; }

  // The cluster through --endpoints (the first that answers, then any
  // other when it fails); command_failed (unavailable) listing every
  // endpoint's failure when none answers.
  dref::raft_member& member();
  dref::context& context();
  // The TTL of the context's session (lock --ttl); before context().
  void set_session_ttl(std::chrono::milliseconds ttl) { session_ttl_ = ttl; }

  // An existing ref holding raw bytes, as drefctl reads and writes them.
  dref::ref<std::string, dref::raw_codec> raw_ref(const std::string& id);

  void print(const printable& result);

private:
  global_options options_;
  std::optional<std::chrono::milliseconds> session_ttl_;
  dref::node_system_config system_config_; // TLS from options_.tls
  caf::actor_system system_{system_config_};
  // Declared after system_: the context and member go before the system.
  std::optional<dref::raft_member> member_;
  std::optional<dref::context> context_;
};

} // namespace drefctl
