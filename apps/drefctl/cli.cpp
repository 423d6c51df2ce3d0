#include "cli.hpp"

#include "dref/config/load.hpp"
#include "errors.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <memory>
#include <sstream>

namespace drefctl {

namespace {

const char* const description = "drefctl: the operator CLI; talks to any member of a dref cluster.";

const char* const footer =
    R"(Values are the bytes as stored (dref::raw_codec); values that are not printable text
print as 0x followed by hex. Arguments that start with '-' (other than numbers) go
after --, e.g. set ID -- -x.

Exit codes: 0 ok, 2 usage (also a malformed id or address), 3 precondition failed
(CAS version conflict, member already there, change pending, a --fence whose lock
grant is no longer current), 4 timeout or unknown outcome, 1 any other error
(unreachable, not found, ...).)";

// Lists every command with its arguments, a group's commands (members ...)
// one per line, so that --help alone shows how to call each of them.
class synopsis_formatter : public CLI::Formatter {
public:
  std::string make_subcommand(const CLI::App* command) const override {
    std::ostringstream out;
    auto group = command->get_subcommands({});
    if (group.empty())
      CLI::detail::format_help(out, synopsis(*command), command->get_description(), column_width_);
    for (const auto* sub : group)
      CLI::detail::format_help(out, command->get_name() + ' ' + synopsis(*sub),
                               sub->get_description(), column_width_);
    return out.str();
  }

private:
  static std::string synopsis(const CLI::App& command) {
    std::string positionals;
    std::string flags;
    for (const auto* option : command.get_options()) {
      if (option == command.get_help_ptr())
        continue;
      auto value = option->get_type_name(); // empty for a flag
      if (!option->get_positional())
        flags += " [" + option->get_name() + (value.empty() ? "" : ' ' + value) + ']';
      else if (option->get_items_expected_max() > 1) // the trailing command of lock
        positionals += " -- " + option->get_name() + " [ARG...]";
      else
        positionals += ' ' + option->get_name();
    }
    return command.get_name() + positionals + flags;
  }
};

std::string default_endpoints() {
  if (const char* list = std::getenv("DREF_ENDPOINTS"); list && *list)
    return list;
  if (const char* port = std::getenv("DREF_PORT"); port && *port)
    return std::string{"127.0.0.1:"} + port;
  return "127.0.0.1:8082";
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

// The TLS flags (or DREF_TLS_* variables) go through the node configuration's
// loader, which knows what makes them usable; a problem is a usage error.
dref::config::tls tls_from(const std::vector<std::pair<std::string, std::string>>& given) {
  dref::config::load_inputs inputs;
  for (const auto& [flag, value] : given)
    if (!value.empty())
      inputs.args.push_back("--" + flag + "=" + value);
  auto loaded = dref::config::load(inputs);
  if (!loaded)
    throw usage_error{loaded.error().message};
  return loaded->tls;
}

std::uint64_t parse_count(const std::string& flag, const std::string& text) {
  std::uint64_t number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size())
    throw usage_error{flag + " needs a number, got '" + text + "'"};
  return number;
}

// CLI11 takes the words after -- as positionals without telling whether
// there was a --. lock insists on it, so that CMD's own flags can never be
// read as drefctl's: its command must be exactly the words after the first --.
void require_command_after_dashes(const lock_command& lock, const std::string& usage, int argc,
                                  const char* const* argv) {
  const auto* end = argv + argc;
  const auto* dashes =
      std::find_if(argv + 1, end, [](const char* arg) { return std::string_view{arg} == "--"; });
  if (dashes == end || !std::equal(dashes + 1, end, lock.command.begin(), lock.command.end()))
    throw usage_error{"usage: " + usage};
}

std::chrono::milliseconds parse_positive_duration(const std::string& flag,
                                                  const std::string& text) {
  auto parsed = dref::config::parse_duration(text);
  if (!parsed)
    throw usage_error{flag + ": " + parsed.error().message};
  if (parsed->count() <= 0)
    throw usage_error{flag + ": must be more than 0"};
  return *parsed;
}

// Adds a command whose arguments land in `args`; choosing it makes `args`
// the command to run.
template <class Command>
CLI::App* define_command(CLI::App& parent, const std::string& name, const std::string& what,
                         Command& args, std::optional<command>& chosen) {
  auto* sub = parent.add_subcommand(name, what);
  sub->callback([&args, &chosen] { chosen = args; });
  return sub;
}

} // namespace

std::variant<invocation, help_request> parse_command_line(int argc, const char* const* argv) {
  CLI::App app{description, "drefctl"};
  app.formatter(std::make_shared<synopsis_formatter>());
  app.get_formatter()->column_width(32);
  // The options below go before or after the command, as long as before --.
  app.fallthrough();

  std::string endpoints_text;
  std::string timeout_text = "5s";
  bool json = false;
  auto* endpoints_option =
      app.add_option("--endpoints", endpoints_text,
                     "members to talk to, tried in order (default: $DREF_ENDPOINTS, else\n"
                     "127.0.0.1:$DREF_PORT, else 127.0.0.1:8082)")
          ->type_name("HOST:PORT,...")
          ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_option("--timeout", timeout_text,
                 "per request, with a unit: 500ms, 5s, 1m (default 5s);\nlock waits this long")
      ->type_name("DURATION")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_flag("--json", json, "machine-readable output");
  // Mutual TLS, as the members have it (docs/security.md); all three or none.
  std::vector<std::pair<std::string, std::string>> tls_flags{
      {"tls-certificate", ""}, {"tls-key", ""}, {"tls-ca", ""}, {"tls-key-passphrase", ""}};
  const char* const tls_help[] = {
      "this client's certificate (PEM) for mutual TLS;\nwith --tls-key and --tls-ca",
      "the certificate's private key (PEM)", "the CA certificates (PEM) a member must show",
      "passphrase of an encrypted key (prefer the variable)"};
  for (std::size_t i = 0; i < tls_flags.size(); ++i) {
    auto& [flag, value] = tls_flags[i];
    std::string variable = "DREF_" + flag;
    std::transform(variable.begin(), variable.end(), variable.begin(),
                   [](char c) { return c == '-' ? '_' : static_cast<char>(std::toupper(c)); });
    app.add_option("--" + flag, value, tls_help[i])
        ->envname(variable)
        ->type_name(i == 3 ? "TEXT" : "FILE")
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  }

  std::optional<command> chosen;
  status_command status;
  members_list_command members_list;
  members_add_command members_add;
  members_promote_command members_promote;
  members_remove_command members_remove;
  transfer_leader_command transfer_leader;
  get_command get;
  set_command set;
  cas_command cas;
  add_command add;
  lock_command lock;
  semaphore_command semaphore;
  barrier_command barrier;
  publish_command publish;
  watch_command watch;
  rm_command rm;
  ls_command ls;
  txn_command txn;
  named_call_command call;
  named_call_command asking;
  asking.query = true;

  define_command(app, "status",
                 "every endpoint's view: member, role, leader, term,\n"
                 "commit and applied index",
                 status, chosen);

  auto* members = app.add_subcommand("members", "the cluster's members");
  members->require_subcommand(0, 1);
  define_command(*members, "list", "the cluster's members (voter or learner, reachable)",
                 members_list, chosen);
  auto* adding =
      define_command(*members, "add", "add a member as a learner (start it with\ndref-node --join)",
                     members_add, chosen);
  adding->add_option("NAME", members_add.name, "the member's node id")->required();
  adding->add_option("HOST:PORT", members_add.address, "where it listens")->required();
  define_command(*members, "promote", "make a learner a voter", members_promote, chosen)
      ->add_option("NAME", members_promote.name, "the learner's node id")
      ->required();
  define_command(*members, "remove", "take a member out of the cluster", members_remove, chosen)
      ->add_option("NAME", members_remove.name, "the member's node id")
      ->required();

  define_command(app, "transfer-leader", "hand leadership to a voter", transfer_leader, chosen)
      ->add_option("NAME", transfer_leader.name, "the voter's node id")
      ->required();

  define_command(app, "get", "print the value and its version", get, chosen)
      ->add_option("ID", get.id, "the ref's id")
      ->required();

  auto* setting = define_command(app, "set", "write VALUE; prints the new version", set, chosen);
  setting->add_option("ID", set.id, "the ref's id")->required();
  setting->add_option("VALUE", set.value, "the bytes to store")->required();
  const char* const fence_help = "write only while lock LOCK is still held under fencing\n"
                                 "token TOKEN (e.g. $DREF_FENCING_TOKEN of drefctl lock);\n"
                                 "else exit 3 (not_holder) and nothing is written";
  auto* set_fence = setting->add_option("--fence", set.fence, fence_help)->type_name("LOCK:TOKEN");
  std::string set_ttl_text;
  setting
      ->add_option("--ttl", set_ttl_text,
                   "remove the value once DURATION has passed (e.g. 30s);\n"
                   "writing it again with --ttl starts a new one")
      ->type_name("DURATION")
      ->excludes(set_fence);

  auto* swapping =
      define_command(app, "cas", "write VALUE if ID is still at EXPECTED_VERSION", cas, chosen);
  swapping->add_option("ID", cas.id, "the ref's id")->required();
  swapping->add_option("EXPECTED_VERSION", cas.expected_version, "the version it must be at")
      ->required();
  swapping->add_option("VALUE", cas.value, "the bytes to store")->required();
  swapping->add_option("--fence", cas.fence, fence_help)->type_name("LOCK:TOKEN");

  auto* removing = define_command(app, "rm",
                                  "remove ID (watchers see it go); prints the version\n"
                                  "it had, or that there was none",
                                  rm, chosen);
  removing->add_option("ID", rm.id, "the ref's id")->required();
  removing->add_option("--fence", rm.fence, fence_help)->type_name("LOCK:TOKEN");

  std::string limit_text;
  auto* listing = define_command(app, "ls",
                                 "list the ids starting with PREFIX and their versions,\n"
                                 "in byte order (ids under dref/ are dref's own and\n"
                                 "not listed)",
                                 ls, chosen);
  listing->add_option("PREFIX", ls.prefix, "the ids' common start (\"\": every id)")->required();
  auto* limit_option =
      listing->add_option("--limit", limit_text, "print at most N ids (default: all)")
          ->type_name("N");
  listing->add_option("--after", ls.after, "start after this id")->type_name("ID");

  auto* transacting = define_command(app, "txn",
                                     "if every compare holds, make every write, atomically\n"
                                     "(all at one version); else change nothing, print the\n"
                                     "compare that failed and exit 3",
                                     txn, chosen);
  transacting->add_option("--if", txn.if_versions, "ID must be at VERSION (repeatable)")
      ->type_name("ID=VERSION")
      ->allow_extra_args(false);
  transacting->add_option("--if-absent", txn.if_absent, "ID must not exist (repeatable)")
      ->type_name("ID")
      ->allow_extra_args(false);
  transacting->add_option("--set", txn.sets, "write VALUE's bytes to ID (repeatable)")
      ->type_name("ID=VALUE")
      ->allow_extra_args(false);
  transacting->add_option("--rm", txn.removes, "remove ID (repeatable)")
      ->type_name("ID")
      ->allow_extra_args(false);
  std::string txn_ttl_text;
  transacting
      ->add_option("--ttl", txn_ttl_text,
                   "remove every --set value once DURATION has passed\n(e.g. 30s)")
      ->type_name("DURATION");

  auto* adding_to = define_command(app, "add",
                                   "add DELTA to the 64-bit counter under ID (named\n"
                                   "command add_i64); prints the new value and version",
                                   add, chosen);
  adding_to->add_option("ID", add.id, "the counter's id")->required();
  adding_to->add_option("DELTA", add.delta, "a 64-bit integer, may be negative")->required();

  auto* calling = define_command(app, "command",
                                 "run the named command NAME on the value under ID\n"
                                 "(docs/commands.md); prints its answer and the version",
                                 call, chosen);
  auto* querying = define_command(app, "query",
                                  "ask the named query NAME of the value under ID;\n"
                                  "prints its answer and the version it read",
                                  asking, chosen);
  for (auto [sub, args] : {std::pair{calling, &call}, std::pair{querying, &asking}}) {
    sub->add_option("ID", args->id, "the value's id")->required();
    sub->add_option("NAME", args->name, "as registered on the members")->required();
    sub->add_option("ARG", args->arg,
                    "the argument's bytes as the value's codec writes them\n"
                    "(JSON for json_codec); default: none");
  }
  querying->add_flag("--stale", asking.stale,
                     "answer from the member asked as it is, without a round\n"
                     "with the leader (it may lag)");

  auto* locking = define_command(app, "lock",
                                 "run CMD holding the lock ID; CMD sees the fencing\n"
                                 "token in DREF_FENCING_TOKEN; exits with CMD's exit code,\n"
                                 "or 5 when the lock was lost while CMD ran",
                                 lock, chosen);
  locking->add_option("ID", lock.id, "the lock's id")->required();
  locking->add_option("CMD", lock.command, "the command and its arguments, after --")->required();
  std::string ttl_text = "10s";
  std::string kill_grace_text = "5s";
  locking
      ->add_option("--ttl", ttl_text,
                   "the session's TTL: CMD is stopped once no renewal was\n"
                   "acknowledged for this long (default 10s)")
      ->type_name("DURATION");
  locking
      ->add_option("--kill-grace", kill_grace_text,
                   "on a lost lock, SIGTERM to CMD's process group, then\n"
                   "SIGKILL after this long (default 5s); exit code 5")
      ->type_name("DURATION");

  auto* holding = define_command(app, "semaphore",
                                 "run CMD holding --permits of the semaphore ID (made\n"
                                 "with LIMIT permits when absent; fair, first in first\n"
                                 "out); CMD sees the grant's fencing token in\n"
                                 "DREF_FENCING_TOKEN; exit codes as lock's",
                                 semaphore, chosen);
  holding->add_option("ID", semaphore.id, "the semaphore's id")->required();
  holding->add_option("LIMIT", semaphore.limit, "its permits in all, when this makes it")
      ->required();
  holding->add_option("CMD", semaphore.command, "the command and its arguments, after --")
      ->required();
  holding->add_option("--permits", semaphore.permits, "how many to hold (default 1)");
  holding->add_option("--ttl", ttl_text, "as for lock")->type_name("DURATION");
  holding->add_option("--kill-grace", kill_grace_text, "as for lock")->type_name("DURATION");

  auto* arriving = define_command(app, "barrier",
                                  "arrive at the barrier ID (made for PARTIES when absent)\n"
                                  "and wait up to --timeout until every party arrived;\n"
                                  "prints the round; exit 3 when the round broke, 4 on timeout",
                                  barrier, chosen);
  arriving->add_option("ID", barrier.id, "the barrier's id")->required();
  arriving->add_option("PARTIES", barrier.parties, "its parties, when this makes it")->required();

  auto* publishing = define_command(app, "publish", "publish MESSAGE; prints its sequence number",
                                    publish, chosen);
  publishing->add_option("TOPIC", publish.topic, "the topic's id")->required();
  publishing->add_option("MESSAGE", publish.message, "the bytes to publish")->required();

  std::string from_text = "0";
  std::string count_text;
  auto* watching = define_command(app, "watch",
                                  "print every change of a ref (or, when no ref ID\n"
                                  "exists or with --topic, every message of a topic;\n"
                                  "with --prefix, every change of every value under it)\n"
                                  "until N were printed or SIGINT",
                                  watch, chosen);
  watching->add_option("ID|TOPIC|PREFIX", watch.name, "a ref's id, a topic or a prefix")
      ->required();
  watching->add_flag("--prefix", watch.prefix,
                     "a line per change of a value under the prefix: KIND ID VERSION [VALUE]");
  watching->add_option("--from", from_text, "a topic's first sequence number to print")
      ->type_name("SEQ");
  auto* count_option =
      watching->add_option("--count", count_text, "stop after N events")->type_name("N");
  watching->add_flag("--topic", watch.force_topic, "watch a topic even if a ref ID exists");

  bool help_command = false;
  app.add_subcommand("help", "print this help")->callback([&] { help_command = true; });

  // At most one command: past it, a word that names a command is an
  // argument (get status reads the ref "status"). Set only now, after the
  // commands, which would inherit it. None at all is checked below, with a
  // clearer message than CLI11's.
  app.require_subcommand(0, 1);
  app.footer(footer);
  // Once a command is chosen, app.help() shows that command's help.
  auto help_for_all = app.help();

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    return help_request{app.help()};
  } catch (const CLI::CallForAllHelp&) {
    return help_request{app.help("", CLI::AppFormatMode::All)};
  } catch (const CLI::ParseError& e) {
    throw usage_error{e.what()};
  }
  if (help_command)
    return help_request{help_for_all};

  invocation out;
  out.options.endpoints = parse_endpoints(*endpoints_option ? endpoints_text : default_endpoints());
  auto timeout = dref::config::parse_duration(timeout_text);
  if (!timeout)
    throw usage_error{"--timeout: " + timeout.error().message};
  out.options.timeout = *timeout;
  out.options.format = json ? output_format::json : output_format::text;
  out.options.tls = tls_from(tls_flags);
  if (!chosen && members->parsed())
    throw usage_error{"members needs list, add, promote or remove"};
  if (!chosen)
    throw usage_error{"no command given"};
  if (auto* lock_args = std::get_if<lock_command>(&*chosen)) {
    require_command_after_dashes(*lock_args, "lock ID -- CMD [ARG...]", argc, argv);
    lock_args->ttl = parse_positive_duration("--ttl", ttl_text);
    lock_args->kill_grace = parse_positive_duration("--kill-grace", kill_grace_text);
  }
  if (auto* semaphore_args = std::get_if<semaphore_command>(&*chosen)) {
    require_command_after_dashes(*semaphore_args, "semaphore ID LIMIT -- CMD [ARG...]", argc, argv);
    semaphore_args->ttl = parse_positive_duration("--ttl", ttl_text);
    semaphore_args->kill_grace = parse_positive_duration("--kill-grace", kill_grace_text);
  }
  if (auto* set_args = std::get_if<set_command>(&*chosen); set_args && !set_ttl_text.empty())
    set_args->ttl = parse_positive_duration("--ttl", set_ttl_text);
  if (auto* txn_args = std::get_if<txn_command>(&*chosen); txn_args && !txn_ttl_text.empty())
    txn_args->ttl = parse_positive_duration("--ttl", txn_ttl_text);
  if (auto* ls_args = std::get_if<ls_command>(&*chosen); ls_args && *limit_option)
    ls_args->limit = parse_count("--limit", limit_text);
  if (auto* watch_args = std::get_if<watch_command>(&*chosen)) {
    if (watch_args->prefix && watch_args->force_topic)
      throw usage_error{"--prefix and --topic do not go together"};
    watch_args->from = parse_count("--from", from_text);
    if (*count_option)
      watch_args->count = parse_count("--count", count_text);
  }
  out.command = std::move(*chosen);
  return out;
}

} // namespace drefctl
