#pragma once
// Named commands for dref-node: a shared library that `dref-node --plugin
// PATH` loads before it starts its member, so that a daemon cluster runs
// the user's commands and queries (dref/commands.hpp has their contract).
// The library defines one entry point with this macro:
//
//   #include "dref/plugin.hpp"
//   DREF_COMMANDS_PLUGIN(commands) {
//     commands.command<job_queue>("enqueue", "1", ...).query<job_queue>("length", "1", ...);
//   }
//
// Build it against the dref headers only (CMake: link dref::plugin_api,
// add_library(... MODULE ...)), with the same compiler, standard library and
// dref release as dref-node: the entry point takes a C++ object, and the
// library resolves what it uses of dref from the dref-node executable (the
// entry point may also register leader hooks: dref/leader_hooks.hpp). Every
// member of a cluster loads the same plugins; members whose commands differ
// (names or versions) refuse each other (protocol::limits_offer).

#include "dref/commands.hpp"

#include <string>

#define DREF_COMMANDS_PLUGIN(registrar)                                                            \
  extern "C" __attribute__((visibility("default"))) void dref_register_commands(                   \
      ::dref::command_registrar& registrar)

namespace dref {

// Loads the plugin at path and runs its entry point into `into`.
// invalid_config naming the path when it cannot be loaded, has no entry
// point, or its registrations are refused (a name registered already).
result<void> load_plugin(const std::string& path, command_registrar& into);

} // namespace dref
