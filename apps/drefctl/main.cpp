// drefctl: the operator CLI; talks to any member of a dref cluster.
// See usage() for the commands and exit codes.

#include "dref/actors/node_system.hpp"
#include "dref/config/load.hpp"
#include "dref/context.hpp"
#include "dref/store/named_commands.hpp"

#include <caf/actor_system.hpp>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

constexpr int exit_ok = 0;
constexpr int exit_other = 1;
constexpr int exit_usage = 2;
constexpr int exit_precondition = 3;
constexpr int exit_timeout = 4;

const char* usage_text =
    R"(usage: drefctl [--endpoints host:port,...] [--timeout 5s] [--json] COMMAND ...

Commands:
  status                        every endpoint's view: member, role, leader, term,
                                commit and applied index
  members list                  the cluster's members (voter or learner, reachable)
  members add NAME HOST:PORT    add a member as a learner (start it with dref-node --join)
  members promote NAME          make a learner a voter
  members remove NAME           take a member out of the cluster
  transfer-leader NAME          hand leadership to a voter
  get ID                        print the value and its version
  set ID VALUE                  write VALUE; prints the new version
  cas ID EXPECTED_VERSION VALUE write VALUE if ID is still at EXPECTED_VERSION
  add ID DELTA                  add DELTA to the 64-bit counter under ID (named command
                                add_i64); prints the new value and version
  lock ID -- CMD [ARG...]       run CMD holding the lock ID; CMD sees the fencing token
                                in DREF_FENCING_TOKEN; exits with CMD's exit code
  publish TOPIC MESSAGE         publish MESSAGE; prints its sequence number
  watch ID|TOPIC [--from SEQ] [--count N] [--topic]
                                print every change of a ref (or, when no ref ID exists or
                                with --topic, every message of a topic) until N were
                                printed or SIGINT

Values are the bytes as stored (dref::raw_codec); values that are not printable text
print as 0x followed by hex.

Options:
  --endpoints   members to talk to, tried in order (default: $DREF_ENDPOINTS, else
                127.0.0.1:$DREF_PORT, else 127.0.0.1:8082)
  --timeout     per request, with a unit: 500ms, 5s, 1m (default 5s); lock waits this long
  --json        machine-readable output

Exit codes: 0 ok, 2 usage (also a malformed id or address), 3 precondition failed
(CAS version conflict, member already there, change pending), 4 timeout or unknown
outcome, 1 any other error (unreachable, not found, ...).
)";

struct usage_error {
  std::string message;
};

struct options {
  std::vector<dref::config::endpoint> endpoints;
  std::chrono::milliseconds timeout{5000};
  bool json = false;
  std::vector<std::string> args; // the command and its arguments
};

std::chrono::milliseconds parse_duration(const std::string& text) {
  std::size_t used = 0;
  long long amount = -1;
  try {
    amount = std::stoll(text, &used);
  } catch (const std::exception&) {
  }
  auto unit = text.substr(used);
  if (amount < 0 || used == 0)
    throw usage_error{"'" + text + "' is not a duration (e.g. 500ms, 5s, 1m)"};
  if (unit == "ms")
    return std::chrono::milliseconds{amount};
  if (unit == "s")
    return std::chrono::seconds{amount};
  if (unit == "m")
    return std::chrono::minutes{amount};
  throw usage_error{"'" + text + "' needs a unit: ms, s or m"};
}

std::vector<dref::config::endpoint> parse_endpoints(const std::string& list) {
  std::vector<dref::config::endpoint> out;
  std::stringstream in{list};
  std::string item;
  while (std::getline(in, item, ',')) {
    if (item.empty())
      continue;
    auto parsed = dref::config::parse_endpoint(item);
    if (!parsed)
      throw usage_error{"--endpoints: " + parsed.error().message};
    out.push_back(*parsed);
  }
  if (out.empty())
    throw usage_error{"--endpoints needs at least one host:port"};
  return out;
}

std::string default_endpoints() {
  if (const char* list = std::getenv("DREF_ENDPOINTS"); list && *list)
    return list;
  if (const char* port = std::getenv("DREF_PORT"); port && *port)
    return std::string{"127.0.0.1:"} + port;
  return "127.0.0.1:8082";
}

options parse_options(int argc, char** argv) {
  options out;
  std::optional<std::string> endpoints;
  bool after_dashes = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg{argv[i]};
    if (after_dashes) {
      out.args.push_back(arg);
      continue;
    }
    auto value = [&](const std::string& name) {
      if (auto eq = arg.find('='); eq != std::string::npos)
        return arg.substr(eq + 1);
      if (i + 1 >= argc)
        throw usage_error{name + " needs a value"};
      return std::string{argv[++i]};
    };
    if (arg == "--")
      after_dashes = true, out.args.push_back(arg);
    else if (arg == "--json")
      out.json = true;
    else if (arg.starts_with("--endpoints"))
      endpoints = value("--endpoints");
    else if (arg.starts_with("--timeout"))
      out.timeout = parse_duration(value("--timeout"));
    else
      out.args.push_back(arg);
  }
  out.endpoints = parse_endpoints(endpoints.value_or(default_endpoints()));
  return out;
}

int exit_code_for(dref::errc code) {
  using dref::errc;
  switch (code) {
    case errc::version_conflict:
    case errc::already_exists:
    case errc::membership_change_pending:
    case errc::stale_token:
    case errc::would_block:
      return exit_precondition;
    case errc::timeout:
      return exit_timeout;
    case errc::invalid_id:
    case errc::invalid_argument:
      return exit_usage;
    default:
      return exit_other;
  }
}

struct command_failed {
  dref::error error;
};

template <class T>
T checked(dref::result<T> r) {
  if (!r)
    throw command_failed{std::move(r).error()};
  return std::move(*r);
}

void checked(dref::result<void> r) {
  if (!r)
    throw command_failed{std::move(r).error()};
}

bool printable(const std::string& bytes) {
  for (unsigned char c : bytes)
    if (c < 0x20 && c != '\t' && c != '\n')
      return false;
  return true;
}

std::string shown(const std::string& bytes) {
  if (printable(bytes))
    return bytes;
  std::ostringstream out;
  out << "0x" << std::hex << std::setfill('0');
  for (unsigned char c : bytes)
    out << std::setw(2) << static_cast<int>(c);
  return out.str();
}

std::string json_string(const std::string& text) {
  std::ostringstream out;
  out << '"';
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out << "\\\"";
        break;
      case '\\':
        out << "\\\\";
        break;
      case '\n':
        out << "\\n";
        break;
      case '\t':
        out << "\\t";
        break;
      default:
        if (c < 0x20 || c >= 0x7f)
          out << "\\u" << std::hex << std::setw(4) << std::setfill('0') << static_cast<int>(c)
              << std::dec;
        else
          out << c;
    }
  }
  out << '"';
  return out.str();
}

// The 8-byte little-endian integers that add_i64 reads and writes.
struct i64_codec {
  static std::string encode(const std::int64_t& value) { return dref::store::encode_i64(value); }
  static dref::result<std::int64_t> decode(std::string_view bytes) {
    return dref::store::decode_i64(bytes, "the stored value");
  }
};

class cli {
public:
  explicit cli(options opts)
      : opts_(std::move(opts)) {}

  int run() {
    const auto& a = opts_.args;
    if (a.empty())
      throw usage_error{"no command given"};
    const auto& cmd = a[0];
    if (cmd == "status")
      return expect(1), status();
    if (cmd == "members")
      return members();
    if (cmd == "transfer-leader")
      return expect(2), admin_done(member().transfer_leadership(sys_, a[1], opts_.timeout),
                                   "leadership moved to " + a[1]);
    if (cmd == "get")
      return expect(2), get(a[1]);
    if (cmd == "set")
      return expect(3), set(a[1], a[2]);
    if (cmd == "cas")
      return expect(4), cas(a[1], a[2], a[3]);
    if (cmd == "add")
      return expect(3), add(a[1], a[2]);
    if (cmd == "lock")
      return lock();
    if (cmd == "publish")
      return expect(3), publish(a[1], a[2]);
    if (cmd == "watch")
      return watch();
    throw usage_error{"unknown command '" + cmd + "'"};
  }

private:
  void expect(std::size_t count) const {
    if (opts_.args.size() != count)
      throw usage_error{"'" + opts_.args[0] + "' takes " + std::to_string(count - 1) +
                        " argument(s), got " + std::to_string(opts_.args.size() - 1)};
  }

  // The first endpoint that answers.
  dref::raft_member& member() {
    if (member_)
      return *member_;
    std::string failures;
    for (const auto& e : opts_.endpoints) {
      try {
        member_ = dref::raft_member::connect(sys_, e.host, e.port);
        return *member_;
      } catch (const dref::error_exception& ex) {
        failures += "\n  " + e.to_string() + ": " + ex.error().message;
      }
    }
    throw command_failed{dref::error{dref::errc::unavailable, "no endpoint answers:" + failures}};
  }

  dref::context& ctx() {
    if (!ctx_) {
      dref::context_options options;
      options.request_timeout = opts_.timeout;
      ctx_.emplace(sys_, member(), options);
    }
    return *ctx_;
  }

  auto raw_ref(const std::string& id) {
    return ctx().existing<std::string, dref::raw_codec>(dref::manual_id(id));
  }

  int status() {
    bool all_ok = true;
    std::vector<std::vector<std::string>> rows;
    std::string json = "[";
    for (const auto& e : opts_.endpoints) {
      auto endpoint = e.to_string();
      dref::result<dref::protocol::node_status> st = dref::error{dref::errc::internal, ""};
      try {
        auto m = dref::raft_member::connect(sys_, e.host, e.port);
        st = m.status(sys_, opts_.timeout);
      } catch (const dref::error_exception& ex) {
        st = ex.error();
      }
      if (json.size() > 1)
        json += ",";
      if (!st) {
        all_ok = false;
        rows.push_back({endpoint, "-", "unreachable", "-", "-", "-", "-"});
        json += "{\"endpoint\":" + json_string(endpoint) +
                ",\"error\":" + json_string(st.error().message) + "}";
        std::cerr << "drefctl: " << endpoint << ": " << st.error().message << '\n';
        continue;
      }
      rows.push_back({endpoint, st->name, st->role, st->leader.empty() ? "-" : st->leader,
                      std::to_string(st->term), std::to_string(st->commit_index),
                      std::to_string(st->applied_index)});
      json += "{\"endpoint\":" + json_string(endpoint) + ",\"member\":" + json_string(st->name) +
              ",\"role\":" + json_string(st->role) + ",\"leader\":" + json_string(st->leader) +
              ",\"term\":" + std::to_string(st->term) +
              ",\"commit_index\":" + std::to_string(st->commit_index) +
              ",\"applied_index\":" + std::to_string(st->applied_index) + "}";
    }
    if (opts_.json)
      std::cout << json << "]\n";
    else
      print_table({"ENDPOINT", "MEMBER", "ROLE", "LEADER", "TERM", "COMMIT", "APPLIED"}, rows);
    return all_ok ? exit_ok : exit_other;
  }

  int members() {
    const auto& a = opts_.args;
    if (a.size() < 2)
      throw usage_error{"members needs list, add, promote or remove"};
    const auto& sub = a[1];
    if (sub == "list") {
      expect(2);
      auto st = checked(member().status(sys_, opts_.timeout));
      std::vector<std::vector<std::string>> rows;
      std::string json = "[";
      for (const auto& m : st.members) {
        rows.push_back({m.name, m.address.empty() ? "-" : m.address, m.voter ? "voter" : "learner",
                        m.reachable ? "yes" : "no", m.name == st.leader ? "yes" : "no"});
        json += std::string{json.size() > 1 ? "," : ""} + "{\"name\":" + json_string(m.name) +
                ",\"address\":" + json_string(m.address) +
                ",\"voter\":" + (m.voter ? "true" : "false") +
                ",\"reachable\":" + (m.reachable ? "true" : "false") +
                ",\"leader\":" + (m.name == st.leader ? "true" : "false") + "}";
      }
      if (opts_.json)
        std::cout << json << "]\n";
      else
        print_table({"NAME", "ADDRESS", "ROLE", "REACHABLE", "LEADER"}, rows);
      return exit_ok;
    }
    if (sub == "add") {
      expect(4);
      auto address = dref::config::parse_endpoint(a[3]);
      if (!address)
        throw usage_error{"members add: " + address.error().message};
      return admin_done(member().add_learner(sys_, a[2], address->to_string(), opts_.timeout),
                        "added " + a[2] + " (" + address->to_string() +
                            ") as a learner; promote it once it caught up");
    }
    if (sub == "promote") {
      expect(3);
      return admin_done(member().promote(sys_, a[2], opts_.timeout), a[2] + " is a voter now");
    }
    if (sub == "remove") {
      expect(3);
      return admin_done(member().remove(sys_, a[2], opts_.timeout), "removed " + a[2]);
    }
    throw usage_error{"unknown members command '" + sub + "'"};
  }

  int admin_done(dref::result<void> done, const std::string& what) {
    checked(std::move(done));
    if (opts_.json)
      std::cout << "{\"ok\":true}\n";
    else
      std::cout << what << '\n';
    return exit_ok;
  }

  int get(const std::string& id) {
    auto got = checked(raw_ref(id).try_get_versioned());
    if (opts_.json)
      std::cout << "{\"id\":" << json_string(id) << ",\"value\":" << json_string(got.value)
                << ",\"version\":" << got.version << "}\n";
    else
      std::cout << shown(got.value) << "\nversion " << got.version << '\n';
    return exit_ok;
  }

  int print_version(const std::string& id, std::uint64_t version) {
    if (opts_.json)
      std::cout << "{\"id\":" << json_string(id) << ",\"version\":" << version << "}\n";
    else
      std::cout << "version " << version << '\n';
    return exit_ok;
  }

  int set(const std::string& id, const std::string& value) {
    return print_version(id, checked(raw_ref(id).try_set(value)));
  }

  int cas(const std::string& id, const std::string& expected, const std::string& value) {
    std::uint64_t version = 0;
    std::size_t used = 0;
    try {
      version = std::stoull(expected, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != expected.size() || expected.front() == '-')
      throw usage_error{"EXPECTED_VERSION '" + expected + "' is not a version number"};
    return print_version(id, checked(raw_ref(id).try_set_at_version(version, value)));
  }

  int add(const std::string& id, const std::string& delta_text) {
    std::int64_t delta = 0;
    std::size_t used = 0;
    try {
      delta = std::stoll(delta_text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != delta_text.size())
      throw usage_error{"DELTA '" + delta_text + "' is not a 64-bit integer"};
    auto counter = ctx().existing<std::int64_t, i64_codec>(dref::manual_id(id));
    auto ran = checked(counter.try_run("add_i64", i64_codec::encode(delta)));
    if (opts_.json)
      std::cout << "{\"id\":" << json_string(id) << ",\"value\":" << ran.value
                << ",\"version\":" << ran.version << "}\n";
    else
      std::cout << ran.value << "\nversion " << ran.version << '\n';
    return exit_ok;
  }

  int lock() {
    const auto& a = opts_.args;
    if (a.size() < 4 || a[2] != "--")
      throw usage_error{"usage: lock ID -- CMD [ARG...]"};
    auto guard = ctx().try_lock_for(dref::manual_id(a[1]), opts_.timeout);
    if (!guard)
      throw command_failed{
          dref::error{dref::errc::timeout, "lock '" + a[1] + "' was not granted within --timeout"}};
    auto token = std::to_string(guard->fencing_token());
    std::vector<char*> argv;
    for (std::size_t i = 3; i < a.size(); ++i)
      argv.push_back(const_cast<char*>(a[i].c_str()));
    argv.push_back(nullptr);
    std::cout.flush();
    pid_t child = ::fork();
    if (child < 0)
      throw command_failed{dref::error{dref::errc::internal, "fork failed"}};
    if (child == 0) {
      ::setenv("DREF_FENCING_TOKEN", token.c_str(), 1);
      ::execvp(argv[0], argv.data());
      std::perror(("drefctl: cannot run " + a[3]).c_str());
      ::_exit(127);
    }
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    guard.reset(); // released before we report
    if (WIFEXITED(status))
      return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
  }

  int publish(const std::string& topic, const std::string& message) {
    auto t = ctx().make_topic<std::string, dref::raw_codec>(dref::manual_id(topic));
    std::uint64_t seq = 0;
    try {
      seq = t.publish(message);
    } catch (const dref::error_exception& ex) {
      throw command_failed{ex.error()};
    }
    if (opts_.json)
      std::cout << "{\"topic\":" << json_string(topic) << ",\"seq\":" << seq << "}\n";
    else
      std::cout << "seq " << seq << '\n';
    return exit_ok;
  }

  int watch();

  static void print_table(const std::vector<std::string>& header,
                          const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> width(header.size());
    for (std::size_t c = 0; c < header.size(); ++c) {
      width[c] = header[c].size();
      for (const auto& r : rows)
        width[c] = std::max(width[c], r[c].size());
    }
    auto line = [&](const std::vector<std::string>& cells) {
      for (std::size_t c = 0; c + 1 < cells.size(); ++c)
        std::cout << std::left << std::setw(static_cast<int>(width[c]) + 2) << cells[c];
      std::cout << cells.back();
      std::cout << '\n';
    };
    line(header);
    for (const auto& r : rows)
      line(r);
  }

  options opts_;
  dref::node_system_config cfg_;
  caf::actor_system sys_{cfg_};
  std::optional<dref::raft_member> member_;
  std::optional<dref::context> ctx_;
};

std::mutex watch_mutex;
std::condition_variable watch_wake;
volatile std::sig_atomic_t interrupted = 0;

int cli::watch() {
  const auto& a = opts_.args;
  std::string name;
  std::uint64_t from = 0;
  std::optional<std::uint64_t> count;
  bool force_topic = false;
  for (std::size_t i = 1; i < a.size(); ++i) {
    auto number = [&](const std::string& flag) {
      if (i + 1 >= a.size())
        throw usage_error{flag + " needs a number"};
      try {
        return static_cast<std::uint64_t>(std::stoull(a[++i]));
      } catch (const std::exception&) {
        throw usage_error{flag + " needs a number, got '" + a[i] + "'"};
      }
    };
    if (a[i] == "--from")
      from = number("--from");
    else if (a[i] == "--count")
      count = number("--count");
    else if (a[i] == "--topic")
      force_topic = true;
    else if (name.empty())
      name = a[i];
    else
      throw usage_error{"watch takes one ID or TOPIC"};
  }
  if (name.empty())
    throw usage_error{"watch needs an ID or TOPIC"};
  std::uint64_t seen = 0;
  // One event's line, unless --count lines were printed already.
  auto emit = [&](const std::string& line) {
    std::lock_guard guard{watch_mutex};
    if (count && seen >= *count)
      return;
    std::cout << line << '\n';
    ++seen;
    std::cout.flush();
    watch_wake.notify_all();
  };
  bool as_topic = force_topic;
  if (!as_topic) {
    auto current = raw_ref(name).try_get_versioned();
    if (!current && current.error().code != dref::errc::not_found)
      throw command_failed{current.error()};
    as_topic = !current;
  }
  dref::subscription sub;
  try {
    if (as_topic) {
      auto t = ctx().make_topic<std::string, dref::raw_codec>(dref::manual_id(name));
      sub = t.subscribe_from(from, [&](std::uint64_t seq, const std::string& message) {
        emit(opts_.json ? "{\"topic\":" + json_string(name) + ",\"seq\":" + std::to_string(seq) +
                              ",\"message\":" + json_string(message) + "}"
                        : std::to_string(seq) + ' ' + shown(message));
      });
    } else {
      sub = raw_ref(name).on_change([&](const std::string& old_value, const std::string& value) {
        emit(opts_.json ? "{\"id\":" + json_string(name) + ",\"old\":" + json_string(old_value) +
                              ",\"value\":" + json_string(value) + "}"
                        : shown(value));
      });
    }
  } catch (const dref::error_exception& ex) {
    throw command_failed{ex.error()};
  }
  std::cerr << "drefctl: watching " << (as_topic ? "topic " : "ref ") << name
            << (count ? "" : " until SIGINT") << '\n';
  std::unique_lock lock{watch_mutex};
  while (!interrupted && !(count && seen >= *count))
    watch_wake.wait_for(lock, std::chrono::milliseconds{100});
  lock.unlock();
  sub = {};
  return exit_ok;
}

} // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg{argv[i]};
    if (arg == "--")
      break;
    if (arg == "--help" || arg == "-h" || arg == "help") {
      std::cout << usage_text;
      return exit_ok;
    }
  }
  std::signal(SIGINT, [](int) { interrupted = 1; });
  std::signal(SIGTERM, [](int) { interrupted = 1; });
  try {
    auto opts = parse_options(argc, argv);
    cli tool{std::move(opts)};
    return tool.run();
  } catch (const usage_error& e) {
    std::cerr << "drefctl: " << e.message << "\n(see drefctl --help)\n";
    return exit_usage;
  } catch (const command_failed& e) {
    std::cerr << "drefctl: " << dref::to_string(e.error.code) << ": " << e.error.message << '\n';
    return exit_code_for(e.error.code);
  } catch (const dref::error_exception& e) {
    std::cerr << "drefctl: " << dref::to_string(e.error().code) << ": " << e.error().message
              << '\n';
    return exit_code_for(e.error().code);
  }
}
