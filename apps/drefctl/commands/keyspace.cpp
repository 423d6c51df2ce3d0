#include "commands.hpp"
#include "dref/store/input_checks.hpp"
#include "errors.hpp"

#include <algorithm>
#include <charconv>
#include <iostream>

namespace drefctl {

// Pages of at most store::max_list_page ids until --limit or the last id.
// Each page is one snapshot; the first and last page's revisions tell
// whether the whole listing is one (see store::store::list).
int run(session& s, const ls_command& cmd) {
  id_listing out;
  out.prefix = cmd.prefix;
  if (cmd.limit && *cmd.limit == 0)
    throw usage_error{"--limit needs a number above 0"};
  std::string after = cmd.after;
  for (bool first = true;; first = false) {
    std::uint64_t want = dref::store::max_list_page;
    if (cmd.limit)
      want = std::min<std::uint64_t>(want, *cmd.limit - out.ids.size());
    auto page = checked(s.context().try_list(cmd.prefix, after, want, {}));
    if (first)
      out.first_revision = page.revision;
    out.last_revision = page.revision;
    for (auto& listed : page.ids)
      out.ids.emplace_back(std::move(listed.id), listed.version);
    if (!page.more)
      break;
    if (cmd.limit && out.ids.size() >= *cmd.limit) {
      out.more = true;
      break;
    }
    after = out.ids.back().first;
  }
  if (out.first_revision != out.last_revision)
    std::cerr << "drefctl: the keyspace changed while listing (revision " << out.first_revision
              << " to " << out.last_revision
              << "): ids created or removed meanwhile may be missing or shown\n";
  s.print(out);
  return exit_ok;
}

namespace {

// ID=REST split at the first '=' (ids hold no '='; values may).
std::pair<std::string, std::string> split_pair(const char* option, const std::string& text) {
  auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    throw usage_error{std::string{option} + " '" + text +
                      "' is not ID=" + (std::string{option} == "--if" ? "VERSION" : "VALUE")};
  return {text.substr(0, eq), text.substr(eq + 1)};
}

std::uint64_t version_of(const std::string& option, const std::string& text) {
  std::uint64_t version = 0;
  auto end = text.data() + text.size();
  if (text.empty() || std::from_chars(text.data(), end, version).ptr != end)
    throw usage_error{option + ": '" + text + "' is not a version number"};
  return version;
}

} // namespace

// Compares in the order --if, then --if-absent; writes: --set (each owned by
// one TTL session with --ttl), then --rm.
// Not committed: the result says which compare failed, exit code 3.
int run(session& s, const txn_command& cmd) {
  if (cmd.sets.empty() && cmd.removes.empty() && cmd.if_versions.empty() && cmd.if_absent.empty())
    throw usage_error{"txn needs at least one --if, --if-absent, --set or --rm"};
  dref::txn t;
  for (const auto& text : cmd.if_versions) {
    auto [id, version] = split_pair("--if", text);
    t.if_version(id, version_of("--if " + id, version));
  }
  for (const auto& id : cmd.if_absent)
    t.if_absent(id);
  for (const auto& text : cmd.sets) {
    auto [id, value] = split_pair("--set", text);
    if (cmd.ttl)
      t.set_bytes_with_ttl(id, value, *cmd.ttl);
    else
      t.set_bytes(id, value);
  }
  for (const auto& id : cmd.removes)
    t.remove(id);
  auto done = checked(s.context().try_commit(t));
  txn_outcome out{done.committed, done.version, done.failed_id, 0, done.found_version};
  if (!done.committed)
    out.expected = t.command().compares.at(done.failed_compare).version;
  s.print(out);
  return done.committed ? exit_ok : exit_precondition;
}

} // namespace drefctl
