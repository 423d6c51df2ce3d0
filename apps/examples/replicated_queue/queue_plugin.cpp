// The queue's commands for dref-node members: dref-node --plugin
// libreplicated_queue_commands.so (dref/plugin.hpp), and a leader hook
// (dref/leader_hooks.hpp) that says in the member's log when it leads.
#include "dref/leader_hooks.hpp"
#include "dref/plugin.hpp"
#include "queue_commands.hpp"

#include <iostream>

DREF_COMMANDS_PLUGIN(commands) {
  queue_example::register_queue_commands(commands);
  dref::leader_hooks().on_elected([](const std::string& member, std::uint64_t term) {
    std::cerr << "queue: " << member << " leads in term " << term << std::endl;
  });
}
