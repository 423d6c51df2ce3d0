#include "commands.hpp"
#include "dref/config/load.hpp"
#include "errors.hpp"

#include <iostream>

namespace drefctl {

namespace {

int report_done(session& s, dref::result<void> done, std::string what) {
  checked(std::move(done));
  s.print(admin_done{std::move(what)});
  return exit_ok;
}

} // namespace

// Every endpoint on its own (not only the first that answers): the point is
// to compare their views.
int run(session& s, const status_command&) {
  const auto& options = s.options();
  cluster_status result;
  bool all_answered = true;
  for (const auto& endpoint : options.endpoints) {
    endpoint_status row{endpoint.to_string(), std::nullopt, {}};
    dref::result<dref::protocol::node_status> status = dref::error{dref::errc::internal, ""};
    try {
      auto member = dref::raft_member::connect(s.system(), endpoint.host, endpoint.port);
      status = member.status(s.system(), options.timeout);
    } catch (const dref::error_exception& ex) {
      status = ex.error();
    }
    if (status) {
      row.status = std::move(*status);
    } else {
      all_answered = false;
      row.error = status.error().message;
      std::cerr << "drefctl: " << row.endpoint << ": " << row.error << '\n';
    }
    result.endpoints.push_back(std::move(row));
  }
  s.print(result);
  return all_answered ? exit_ok : exit_other;
}

int run(session& s, const members_list_command&) {
  auto status = checked(s.member().status(s.system(), s.options().timeout));
  s.print(member_list{std::move(status.members), std::move(status.leader)});
  return exit_ok;
}

int run(session& s, const members_add_command& cmd) {
  auto address = dref::config::parse_endpoint(cmd.address);
  if (!address)
    throw usage_error{"members add: " + address.error().message};
  return report_done(
      s, s.member().add_learner(s.system(), cmd.name, address->to_string(), s.options().timeout),
      "added " + cmd.name + " (" + address->to_string() +
          ") as a learner; promote it once it caught up");
}

int run(session& s, const members_promote_command& cmd) {
  return report_done(s, s.member().promote(s.system(), cmd.name, s.options().timeout),
                     cmd.name + " is a voter now");
}

int run(session& s, const members_remove_command& cmd) {
  return report_done(s, s.member().remove(s.system(), cmd.name, s.options().timeout),
                     "removed " + cmd.name);
}

int run(session& s, const transfer_leader_command& cmd) {
  return report_done(s, s.member().transfer_leadership(s.system(), cmd.name, s.options().timeout),
                     "leadership moved to " + cmd.name);
}

} // namespace drefctl
