#include "redis/store_script.hpp"

#include "dref/store/input_checks.hpp"
#include "redis/lua/chunks.hpp"

#include <type_traits>

namespace dref::redis {

using namespace protocol;

namespace {

const std::string& definitions() {
  static const std::string source = [] {
    std::string joined;
    for (auto chunk : {lua::prelude(), lua::values(), lua::locks(), lua::sessions(), lua::topics(),
                       lua::promises(), lua::reads(), lua::retries(), lua::dispatch()})
      joined += chunk;
    return joined;
  }();
  return source;
}

} // namespace

const function_library& store_library() {
  static const function_library library{"dref_store", definitions(),
                                        "function(keys, args) return call(args) end"};
  return library;
}

const script& store_script() {
  static const script s{"dref_store", definitions() + "\nreturn call(ARGV)\n"};
  return s;
}

function_caller store_caller(client& c) {
  return function_caller{c, store_library(), store_script()};
}

std::vector<std::string> script_keys(const store_keys& keys) {
  return {keys.prefix + "index"};
}

namespace {

std::vector<std::string> header(const store_keys& keys, std::uint64_t client,
                                std::uint64_t sequence, std::uint64_t acked, const char* name) {
  return {keys.prefix,
          std::to_string(client),
          std::to_string(sequence),
          std::to_string(acked),
          std::to_string(keys.events_maxlen),
          std::to_string(keys.limits.client_idle_ms),
          std::to_string(keys.limits.max_cached_reply_bytes_per_client),
          std::to_string(keys.limits.max_cached_reply_bytes),
          name};
}

void add_metadata(std::vector<std::string>& args, const metadata_map& metadata) {
  for (const auto& [key, value] : metadata) {
    args.push_back(key);
    args.push_back(value);
  }
}

struct command_args {
  const store_keys& keys;
  std::vector<std::string>& args;

  template <class... Fields>
  void add(const char* name, Fields&&... fields) {
    args.back() = name;
    (args.push_back(std::forward<Fields>(fields)), ...);
  }
  static std::string flag(bool b) { return b ? "1" : "0"; }
  std::string max_messages() const { return std::to_string(keys.limits.topic_max_messages); }
  std::string max_bytes() const { return std::to_string(keys.limits.topic_max_bytes); }

  void operator()(const cmd_create_if_absent& c) {
    add("create", c.id, c.value);
    add_metadata(args, c.metadata);
  }
  void operator()(const cmd_set& c) { add("set", c.id, c.value); }
  void operator()(const cmd_cas& c) {
    add("cas", c.id, std::to_string(c.expected_version), c.value);
  }
  void operator()(const cmd_patch&) { add("patch_needs_a_cas"); }
  void operator()(const cmd_remove& c) { add("remove", c.id); }
  void operator()(const cmd_set_metadata& c) {
    add("set_metadata", c.id);
    add_metadata(args, c.metadata);
  }
  void operator()(const cmd_run& c) { add("run", c.id, c.command, c.args); }
  void operator()(const cmd_session_open& c) {
    add("session_open", c.session, std::to_string(c.ttl_ms));
  }
  void operator()(const cmd_session_keepalive& c) { add("session_keepalive", c.session); }
  void operator()(const cmd_session_close& c) { add("session_close", c.session); }
  void operator()(const cmd_expire_due&) { add("expire_due"); }
  void operator()(const cmd_lock_acquire& c) {
    add("lock_acquire", c.lock, c.session, c.owner, flag(c.wait));
  }
  void operator()(const cmd_lock_release& c) {
    add("lock_release", c.lock, c.session, c.owner, std::to_string(c.token));
  }
  void operator()(const cmd_lock_hand_over& c) {
    add("lock_hand_over", c.lock, c.session, c.owner, std::to_string(c.token), c.to_owner);
  }
  void operator()(const cmd_lock_cancel_wait& c) {
    add("lock_cancel_wait", c.lock, c.session, c.owner);
  }
  void operator()(const cmd_publish& c) {
    add("publish", c.topic, c.message, max_messages(), max_bytes());
  }
  void operator()(const cmd_topic_configure& c) {
    add("topic_configure", c.topic, std::to_string(c.max_messages), std::to_string(c.max_bytes),
        max_messages(), max_bytes());
  }
  void operator()(const cmd_promise_deliver& c) { add("promise_deliver", c.id, c.value); }
  void operator()(const cmd_delay_claim& c) { add("delay_claim", c.id, c.session); }
  void operator()(const cmd_delay_complete& c) { add("delay_complete", c.id, c.session, c.value); }
  void operator()(const cmd_delay_request& c) { add("delay_request", c.id); }
  void operator()(const cmd_delay_fail& c) { add("delay_fail", c.id, c.session, c.message); }
  void operator()(const cmd_set_owned& c) {
    add("set_owned", c.id, c.value, c.session, flag(c.if_absent));
  }
  // The fence, then the write as it goes alone: its add() names it in the
  // slot left empty here.
  void operator()(const cmd_fenced& c) {
    add("fenced", c.fence.lock, std::to_string(c.fence.token), "");
    std::visit(*this, c.write);
  }
  void operator()(const cmd_txn& c) {
    add("txn", std::to_string(c.compares.size()));
    for (const auto& compare : c.compares) {
      args.push_back(compare.id);
      args.push_back(std::to_string(compare.version));
    }
    for (const auto& write : c.writes) {
      args.push_back(write.remove ? "r" : "s");
      args.push_back(write.id);
      args.push_back(write.value);
      args.push_back(write.session);
    }
  }
  // Raft members only; the backend refuses it before it gets here.
  void operator()(const cmd_member_announce&) { add("member_announce_is_raft_only"); }
};

const char* read_name(read_kind kind) {
  switch (kind) {
    case read_kind::value:
      return "get_value";
    case read_kind::lock:
      return "get_lock";
    case read_kind::topic:
      return "get_topic";
    case read_kind::promise:
      return "get_promise";
    case read_kind::delay:
      return "get_delay";
    case read_kind::session:
      return "get_session";
    case read_kind::list:
      return "list_ids";
    case read_kind::query: // run by the backend on the value it read (named_runs.cpp)
      break;
  }
  return "unknown_read";
}

} // namespace

std::vector<std::string> proposal_args(const store_keys& keys, const store_proposal& proposal) {
  auto args = header(keys, proposal.client_id, proposal.sequence, proposal.acked_sequence, "");
  std::visit(command_args{keys, args}, proposal.command);
  return args;
}

std::vector<std::string> run_at_args(const store_keys& keys, const store_proposal& proposal,
                                     std::uint64_t ran_on, const store::command_outcome& outcome) {
  const auto& run = std::get<cmd_run>(proposal.command);
  auto args =
      header(keys, proposal.client_id, proposal.sequence, proposal.acked_sequence, "run_at");
  args.insert(args.end(), {run.id, std::to_string(ran_on), outcome.value ? "1" : "0",
                           outcome.value.value_or(""), outcome.answer});
  return args;
}

std::vector<std::string> read_args(const store_keys& keys, const store_read& request) {
  auto args = header(keys, 0, 0, 0, read_name(request.kind));
  args.push_back(request.id);
  if (request.kind == read_kind::topic) {
    args.push_back(std::to_string(request.from_seq));
    args.push_back(std::to_string(request.max_messages == 0 ? 1000 : request.max_messages));
  }
  if (request.kind == read_kind::list) {
    args.push_back(request.after);
    args.push_back(
        std::to_string(request.max_messages == 0 ? store::max_list_page : request.max_messages));
  }
  return args;
}

} // namespace dref::redis
