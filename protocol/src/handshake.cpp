#include "dref/protocol/handshake.hpp"

namespace dref::protocol {

hello_reply answer_hello(const hello& local, const hello& remote) {
  hello_reply reply{local.node_id, std::nullopt};
  if (remote.format_version != local.format_version) {
    reply.refusal = error{errc::wire_version_mismatch,
                          "node '" + remote.node_id + "' (dref " + remote.software_version
                            + ") speaks wire format version "
                            + std::to_string(remote.format_version) + ", node '" + local.node_id
                            + "' (dref " + local.software_version + ") speaks version "
                            + std::to_string(local.format_version)};
  } else if (remote.cluster_id != local.cluster_id) {
    reply.refusal = error{errc::invalid_config, "node '" + remote.node_id
                                                  + "' belongs to cluster '" + remote.cluster_id
                                                  + "', this node to cluster '" + local.cluster_id
                                                  + "'"};
  } else if (remote.node_id == local.node_id) {
    reply.refusal = error{errc::already_exists, "node id '" + remote.node_id
                                                  + "' is used by two nodes; give each node "
                                                    "its own id"};
  }
  return reply;
}

} // namespace dref::protocol
