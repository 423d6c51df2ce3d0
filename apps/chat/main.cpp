// chat: the sample. Every chat process is a member of a raft cluster; each
// message goes through the replicated log as a topic message and is printed
// by every member in the same order, with the history replayed to a member
// that joins later.
//
//   chat [--config FILE] [--key value ...]    (same configuration as dref-node)
//
// Members find each other through DREF_NODE_ADDRESSES / DREF_NODE_SERVICES /
// DREF_PORT (or peers in the TOML file); node_id and data_dir must differ
// per member. scripts/chat-cluster starts three on loopback.

#include "dref/actors/node_system.hpp"
#include "dref/config/load.hpp"
#include "dref/context.hpp"
#include "log.hpp"

#include <caf/actor_system.hpp>
#include <cereal/types/string.hpp>
#include <iostream>
#include <mutex>
#include <string>

namespace {

struct chat_message {
  std::string author;
  std::string node; // the member it was typed on
  std::string text;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(author, node, text);
  }
};

} // namespace

int main(int argc, char** argv) {
  dref::app::set_log_name("chat");
  for (int i = 1; i < argc; ++i)
    if (std::string_view{argv[i]} == "--help" || std::string_view{argv[i]} == "-h") {
      std::cout << "usage: chat [--config FILE] [--key value ...]\n"
                   "A chat room on a dref raft cluster: every member of the cluster is a chat\n"
                   "process. Type a line to send it, 'exit' to leave.\n\n"
                << dref::config::help_text();
      return 0;
    }
  auto cfg = dref::config::load(dref::config::inputs_from_main(argc, argv));
  if (!cfg) {
    dref::app::fail(cfg.error().message);
    return 2;
  }
  cfg->backend = dref::config::backend_kind::raft;

  dref::node_system_config sys_cfg{*cfg};
  caf::actor_system sys{sys_cfg};
  try {
    dref::context ctx{sys, *cfg};
    auto room = ctx.make_topic<chat_message>(dref::manual_id("chat/room"));

    std::cout << "Please enter your name: " << std::flush;
    std::string name;
    if (!std::getline(std::cin, name) || name.empty() || name == "exit")
      return 0;

    // Printing from the subscription's thread and the prompt's thread.
    std::mutex out;
    auto history = room.subscribe_from(1, [&](std::uint64_t seq, const chat_message& m) {
      std::lock_guard guard{out};
      bool own = m.node == cfg->node_id && m.author == name;
      std::cout << "#" << seq << " " << m.author << (own ? " (you)" : "") << ": " << m.text
                << std::endl;
    });

    std::string line;
    while (std::getline(std::cin, line)) {
      if (line == "exit")
        break;
      if (line.empty())
        continue;
      try {
        room.publish(chat_message{name, cfg->node_id, line});
      } catch (const dref::error_exception& e) {
        std::lock_guard guard{out};
        std::cout << "(not sent: " << e.error().message << ")" << std::endl;
      }
    }
  } catch (const dref::error_exception& e) {
    dref::app::fail(e.error().message);
    return e.error().code == dref::errc::invalid_config ? 2 : 1;
  }
  return 0;
}
