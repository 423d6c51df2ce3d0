#pragma once
// What drefctl prints: one type per kind of result, and for each type one
// text printer (for people) and one JSON printer (for scripts). Commands
// build a result and hand it to print(); nothing else writes to stdout.
//
// Values are bytes as stored. Text shows them as they are when printable,
// else as 0x followed by hex. JSON strings carry one code point per byte
// (U+0000-U+00FF, escaped as \u00XX above 0x7e), so any value, binary or
// not, round-trips exactly; that is what drefctl always printed.

#include "dref/protocol/admin.hpp"

#include <cstdint>
#include <iosfwd>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace drefctl {

enum class output_format { text, json };

// One endpoint's answer to `status`: its node status, or why there is none.
struct endpoint_status {
  std::string endpoint;
  std::optional<dref::protocol::node_status> status;
  std::string error; // when status is empty
};
struct cluster_status {
  std::vector<endpoint_status> endpoints;
};

// `members list`: the membership as one member sees it.
struct member_list {
  std::vector<dref::protocol::member_info> members;
  std::string leader;
};

// A membership or leadership change that went through.
struct admin_done {
  std::string what; // a sentence for people
};

struct ref_value {
  std::string id;
  std::string value;
  std::uint64_t version = 0;
  std::string owner; // the owning session (set --ttl, owned values); empty: none, not shown
};

// A write's outcome: the version it produced.
struct ref_version {
  std::string id;
  std::uint64_t version = 0;
};

struct counter_value {
  std::string id;
  std::int64_t value = 0;
  std::uint64_t version = 0;
};

struct published {
  std::string topic;
  std::uint64_t seq = 0;
};

// `barrier`: the round every party arrived in.
struct barrier_passed {
  std::string id;
  std::uint64_t round = 0;
};

// One event of `watch`: a topic's message, or a ref's change.
struct topic_message {
  std::string topic;
  std::uint64_t seq = 0;
  std::string message;
};
// `rm`: whether there was a value, and the version it had.
struct ref_removed {
  std::string id;
  bool existed = false;
  std::uint64_t version = 0;
};

// `txn`: committed at a version, or the first compare that failed (the
// version it expected and the one found; 0: absent).
struct txn_outcome {
  bool committed = false;
  std::uint64_t version = 0;
  std::string failed_id;
  std::uint64_t expected = 0;
  std::uint64_t found = 0;
};

// `ls`: ids under a prefix with their versions. revisions: of the first and
// the last page read; when they differ the keyspace changed in between.
struct id_listing {
  std::string prefix;
  std::vector<std::pair<std::string, std::uint64_t>> ids;
  std::uint64_t first_revision = 0;
  std::uint64_t last_revision = 0;
  bool more = false; // --limit stopped it before the last id
};

struct ref_change {
  std::string id;
  std::string old_value;
  std::string value;
};

// One change under a prefix (`watch --prefix`): kind is created, written,
// removed, metadata or caught_up; value: the new value where the kind has
// one.
struct prefix_change {
  std::string id;
  std::string kind;
  std::uint64_t version = 0;
  std::optional<std::string> value;
};

std::string to_text(const cluster_status& result);
std::string to_text(const member_list& result);
std::string to_text(const admin_done& result);
std::string to_text(const ref_value& result);
std::string to_text(const ref_version& result);
std::string to_text(const counter_value& result);
std::string to_text(const published& result);
std::string to_text(const barrier_passed& result);
std::string to_text(const topic_message& result);
std::string to_text(const ref_change& result);
std::string to_text(const prefix_change& result);
std::string to_text(const ref_removed& result);
std::string to_text(const id_listing& result);
std::string to_text(const txn_outcome& result);

nlohmann::ordered_json to_json(const cluster_status& result);
nlohmann::ordered_json to_json(const member_list& result);
nlohmann::ordered_json to_json(const admin_done& result);
nlohmann::ordered_json to_json(const ref_value& result);
nlohmann::ordered_json to_json(const ref_version& result);
nlohmann::ordered_json to_json(const counter_value& result);
nlohmann::ordered_json to_json(const published& result);
nlohmann::ordered_json to_json(const barrier_passed& result);
nlohmann::ordered_json to_json(const topic_message& result);
nlohmann::ordered_json to_json(const ref_change& result);
nlohmann::ordered_json to_json(const prefix_change& result);
nlohmann::ordered_json to_json(const ref_removed& result);
nlohmann::ordered_json to_json(const id_listing& result);
nlohmann::ordered_json to_json(const txn_outcome& result);

// One line of compact JSON, newline included.
std::string json_line(const nlohmann::ordered_json& json);

using printable = std::variant<cluster_status, member_list, admin_done, ref_value, ref_version,
                               counter_value, published, topic_message, ref_change, ref_removed,
                               id_listing, txn_outcome, prefix_change, barrier_passed>;

// The result as the user asked for it, newline included.
std::string render(const printable& result, output_format format);

// Writes render(result, format) and flushes, so that watch events and a
// locked command's output appear in order.
void print(std::ostream& out, const printable& result, output_format format);

} // namespace drefctl
