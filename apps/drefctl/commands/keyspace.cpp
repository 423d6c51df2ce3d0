#include "commands.hpp"
#include "dref/store/input_checks.hpp"
#include "errors.hpp"

#include <algorithm>
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

} // namespace drefctl
