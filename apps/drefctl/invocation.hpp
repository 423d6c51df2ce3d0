#pragma once
// What the user asked drefctl to do, once the command line is parsed: the
// options every command shares and one struct per command with its
// arguments as given (commands check and convert them).

#include "dref/config/node_config.hpp"
#include "output.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace drefctl {

struct global_options {
  std::vector<dref::config::endpoint> endpoints; // tried in order
  std::chrono::milliseconds timeout{5000};       // per request; also how long lock waits
  output_format format = output_format::text;
  dref::config::tls tls; // mutual TLS when set
};

struct status_command {};
struct members_list_command {};
struct members_add_command {
  std::string name;
  std::string address;
};
struct members_promote_command {
  std::string name;
};
struct members_remove_command {
  std::string name;
};
struct transfer_leader_command {
  std::string name;
};
struct get_command {
  std::string id;
};
struct set_command {
  std::string id;
  std::string value;
  std::string fence;                            // --fence LOCK:TOKEN as given; empty: unfenced
  std::optional<std::chrono::milliseconds> ttl; // --ttl: removed once it has passed
};
struct cas_command {
  std::string id;
  std::string expected_version;
  std::string value;
  std::string fence;
};
struct rm_command {
  std::string id;
  std::string fence;
};
struct ls_command {
  std::string prefix;
  std::string after;                  // --after: list ids above this one
  std::optional<std::uint64_t> limit; // --limit: at most this many; none: all
};
// Compares and writes as given: ID=VERSION, ID, ID=VALUE, ID.
struct txn_command {
  std::vector<std::string> if_versions;
  std::vector<std::string> if_absent;
  std::vector<std::string> sets;
  std::vector<std::string> removes;
  std::optional<std::chrono::milliseconds> ttl; // --ttl: every --set goes once it has passed
};
struct add_command {
  std::string id;
  std::string delta;
};
struct lock_command {
  std::string id;
  std::vector<std::string> command;           // program and its arguments
  std::chrono::milliseconds ttl{10000};       // the session's TTL (--ttl)
  std::chrono::milliseconds kill_grace{5000}; // SIGTERM to SIGKILL on a loss (--kill-grace)
};
// semaphore ID LIMIT -- CMD: lock's options, holding `permits` of the
// semaphore ID (made with LIMIT permits when absent).
struct semaphore_command : lock_command {
  std::int64_t limit = 1;
  std::int64_t permits = 1;
};
// barrier ID PARTIES: arrive and wait for the round (made with PARTIES
// when absent).
struct barrier_command {
  std::string id;
  std::int64_t parties = 2;
};
struct publish_command {
  std::string topic;
  std::string message;
};
struct watch_command {
  std::string name; // a ref's id, or a topic; with prefix: the prefix
  std::uint64_t from = 0;
  std::optional<std::uint64_t> count;
  bool force_topic = false;
  bool prefix = false; // every value whose id begins with name
};

// A named command or query (docs/commands.md) with its argument's bytes as
// given, its answer printed as bytes: for refs whose codec is JSON or raw.
struct named_call_command {
  bool query = false;
  bool stale = false; // query only: from the member asked, as it is
  std::string id;
  std::string name;
  std::string arg;
};

using command =
    std::variant<status_command, members_list_command, members_add_command, members_promote_command,
                 members_remove_command, transfer_leader_command, get_command, set_command,
                 cas_command, add_command, lock_command, semaphore_command, barrier_command,
                 publish_command, watch_command, rm_command, ls_command, txn_command,
                 named_call_command>;

struct invocation {
  global_options options;
  drefctl::command command;
};

} // namespace drefctl
