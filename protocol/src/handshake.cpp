#include "dref/protocol/handshake.hpp"

#include <algorithm>

namespace dref::protocol {

hello_reply answer_hello(const hello& local, const hello& remote) {
  hello_reply reply{local.node_id, std::nullopt};
  if (remote.format_version != local.format_version) {
    reply.refusal =
        error{errc::wire_version_mismatch,
              "node '" + remote.node_id + "' (dref " + remote.software_version +
                  ") speaks wire format version " + std::to_string(remote.format_version) +
                  ", node '" + local.node_id + "' (dref " + local.software_version +
                  ") speaks version " + std::to_string(local.format_version)};
  } else if (remote.cluster_id != local.cluster_id) {
    reply.refusal = error{errc::invalid_config,
                          "node '" + remote.node_id + "' belongs to cluster '" + remote.cluster_id +
                              "', this node to cluster '" + local.cluster_id + "'"};
  } else if (remote.node_id == local.node_id) {
    reply.refusal = error{errc::already_exists, "node id '" + remote.node_id +
                                                    "' is used by two nodes; give each node "
                                                    "its own id"};
  }
  return reply;
}

hello_reply answer_limits(const limits_offer& local, const limits_offer& remote) {
  hello_reply reply{local.node_id, std::nullopt};
  auto value_in = [](const limits_offer& offer, const std::string& name) -> std::string {
    for (const auto& [key, value] : offer.limits)
      if (key == name)
        return std::to_string(value);
    return "(not set)";
  };
  std::vector<std::string> names;
  for (const auto* offer : {&local, &remote})
    for (const auto& [name, value] : offer->limits)
      names.push_back(name);
  for (const auto& name : names) {
    auto ours = value_in(local, name);
    auto theirs = value_in(remote, name);
    if (ours != theirs) {
      reply.refusal = error{errc::invalid_config,
                            "node '" + remote.node_id + "' applies " + name + " = " + theirs +
                                ", node '" + local.node_id + "' applies " + name + " = " + ours +
                                "; every member must run with the same limits"};
      break;
    }
  }
  if (!reply.refusal && local.commands != remote.commands) {
    auto missing = [](const limits_offer& in, const limits_offer& from) {
      std::string out;
      for (const auto& entry : from.commands)
        if (std::find(in.commands.begin(), in.commands.end(), entry) == in.commands.end())
          out += (out.empty() ? "" : ", ") + entry;
      return out.empty() ? std::string{"nothing"} : out;
    };
    reply.refusal =
        error{errc::invalid_config, "node '" + remote.node_id + "' lacks " +
                                        missing(remote, local) + " that node '" + local.node_id +
                                        "' runs, and runs " + missing(local, remote) +
                                        " that it lacks; every member must register the same named "
                                        "commands and queries (names and versions)"};
  }
  return reply;
}

} // namespace dref::protocol
