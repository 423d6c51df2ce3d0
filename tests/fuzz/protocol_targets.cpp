// Every protocol wire type through decode<T>: an error, or a value that
// encodes back to exactly the input bytes (the encoding is canonical, so
// anything else means the decoder accepted something the encoder never
// writes), within the allocation bound.

#include "dref/protocol/codec.hpp"
#include "harness.hpp"
#include "samples.hpp"

namespace dref::fuzz {

using namespace protocol;

namespace {

void check_decode_error(const dref::error& err, probe& p) {
  if (err.code != errc::decode_failed && err.code != errc::wire_version_mismatch)
    p.fail("decode failed with " + err.to_string() + " (expected decode_failed)");
  if (err.message.empty())
    p.fail("decode failed without a message");
}

template <wire_type T>
void add_wire(std::vector<target>& out, const std::vector<T>& values, double weight = 1) {
  target t;
  t.group = "protocol";
  t.name = std::string{T::wire_name};
  for (const auto& value : values)
    t.seeds.push_back(encode(value));
  t.check = [](std::string_view input, probe& p) {
    auto decoded = p.measured(input.size(), [&] { return decode<T>(input); });
    if (!decoded)
      return check_decode_error(decoded.error(), p);
    p.accepted();
    auto again = encode(*decoded);
    if (again != input)
      p.fail("the decoded value encodes to other bytes: " + to_hex(again));
  };
  // A damaged header stops every decode at the first check.
  t.fixup = [](std::string& bytes, rng&) {
    std::string header;
    write_frame_header(header, type_tag(T::wire_name));
    bytes.replace(0, std::min(bytes.size(), header.size()), header);
  };
  t.weight = weight;
  out.push_back(std::move(t));
}

template <class Payload>
std::vector<Payload> payloads_of(const std::vector<raft_message>& messages) {
  std::vector<Payload> out;
  for (const auto& m : messages)
    if (const auto* p = std::get_if<Payload>(&m.payload))
      out.push_back(*p);
  if (out.empty())
    out.push_back(Payload{});
  return out;
}

} // namespace

void add_protocol_targets(std::vector<target>& out) {
  // The handshake and the operators' messages.
  add_wire(out, std::vector<hello>{{1, "cluster-a", "node-1", "0.1.0"}, {2, "", "n", ""}}, 0.5);
  add_wire(out,
           std::vector<hello_reply>{
               {"node-1", std::nullopt},
               {"node-2", dref::error{errc::wire_version_mismatch, "speaks version 2"}}},
           0.5);
  add_wire(out, std::vector<member_info>{{"n1", "127.0.0.1:4000", true, false}}, 0.5);
  add_wire(out, samples::node_statuses(), 1);
  add_wire(out,
           std::vector<member_change>{{member_change_kind::add_learner, "n4", "10.0.0.4:4000"},
                                      {member_change_kind::remove, "n2", ""}},
           0.5);
  add_wire(out, std::vector<leader_transfer>{{"n2"}}, 0.5);
  add_wire(out, std::vector<admin_reply>{{std::nullopt}, {dref::error{errc::not_leader, "ask n1"}}},
           0.5);

  // Raft: the envelope with every payload, and each payload on its own.
  auto messages = samples::raft_messages();
  add_wire(out, messages, 3);
  add_wire(out, payloads_of<raft_vote_request>(messages), 0.5);
  add_wire(out, payloads_of<raft_vote_response>(messages), 0.5);
  add_wire(out, payloads_of<raft_append_entries>(messages), 1.5);
  add_wire(out, payloads_of<raft_append_response>(messages), 0.5);
  add_wire(out, payloads_of<raft_heartbeat>(messages), 0.5);
  add_wire(out, payloads_of<raft_heartbeat_response>(messages), 0.5);
  add_wire(out, payloads_of<raft_install_snapshot>(messages), 1);
  add_wire(out, payloads_of<raft_install_snapshot_response>(messages), 0.5);
  add_wire(out, payloads_of<raft_timeout_now>(messages), 0.25);
  add_wire(out, payloads_of<raft_read_index_request>(messages), 0.5);
  add_wire(out, payloads_of<raft_read_index_response>(messages), 0.5);

  // What raft keeps on disk (WAL records) and in config entries.
  add_wire(out, samples::log_entries(), 1);
  add_wire(out, std::vector<raft_hard_state>{{5, 2, 99}}, 0.5);
  add_wire(out, std::vector<raft_config_state>{{{1, 2, 3}, {4, 5}}, {}}, 0.5);
  add_wire(out, samples::snapshot_metadata(), 1);
  add_wire(out,
           std::vector<raft_conf_change>{{raft_conf_change_type::add_voter, 3},
                                         {raft_conf_change_type::remove, 1}},
           0.5);

  // The store's commands, answers, change events and reads.
  add_wire(out, samples::proposals(), 3);
  add_wire(out, samples::replies(), 2);
  add_wire(out, samples::events(), 1.5);
  add_wire(out, samples::reads(), 0.5);
  add_wire(out, samples::read_replies(), 2);
}

} // namespace dref::fuzz
