// Uses a piece of every installed layer, so a missing header, library or
// transitive dependency fails here.
#include <caf/actor_system.hpp>
#include <dref/actors/node_system.hpp>
#include <dref/config/load.hpp>
#include <dref/protocol/handshake.hpp>
#include <iostream>

int main() {
  dref::config::load_inputs inputs;
  inputs.args = {"--node-id", "consumer"};
  auto cfg = dref::config::load(inputs);
  if (!cfg) {
    std::cerr << cfg.error().to_string() << '\n';
    return 1;
  }
  dref::protocol::hello hello{dref::protocol::wire_format_version, cfg->cluster_id, cfg->node_id,
                              "consumer"};
  auto decoded = dref::protocol::decode<dref::protocol::hello>(dref::protocol::encode(hello));
  if (!decoded || !(*decoded == hello))
    return 1;
  dref::node_system_config sys_cfg{*cfg};
  caf::actor_system sys{sys_cfg};
  std::cout << "consumer ok: node " << decoded->node_id << '\n';
  return 0;
}
