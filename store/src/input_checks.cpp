#include "dref/store/input_checks.hpp"

#include <cctype>
#include <set>
#include <string>

namespace dref::store {

using namespace protocol;

namespace {

result<void> check_metadata(const std::string& id, const metadata_map& metadata,
                            const limits& lim) {
  std::size_t bytes = 0;
  for (const auto& [key, value] : metadata) {
    if (key.empty())
      return error{errc::invalid_argument, "metadata of '" + id + "' has an empty key"};
    bytes += key.size() + value.size();
  }
  if (bytes > lim.max_metadata_bytes)
    return error{errc::value_too_large, "metadata of '" + id + "' has " + std::to_string(bytes) +
                                            " bytes; at most " +
                                            std::to_string(lim.max_metadata_bytes) +
                                            " are allowed (limits.max_metadata_bytes)"};
  return {};
}

// The first failing check, in the order given.
template <class... Checks>
result<void> first_failure(Checks&&... checks) {
  result<void> out;
  ((out = checks(), !out) || ...);
  return out;
}

result<void> check_user_id(const std::string& id, const limits& lim, const char* what);
result<void> check_txn(const cmd_txn& c, const limits& lim);

result<void> check_lock_ids(const std::string& lock, const std::string& session,
                            const std::string& owner, const limits& lim) {
  return first_failure([&] { return check_user_id(lock, lim, "lock id"); },
                       [&] { return check_id(session, lim, "session id"); },
                       [&] { return check_id(owner, lim, "lock owner"); });
}

// An id a client command may write: well-formed and outside dref's own
// records.
result<void> check_user_id(const std::string& id, const limits& lim, const char* what) {
  if (auto ok = check_id(id, lim, what); !ok)
    return ok;
  if (id.starts_with(reserved_prefix))
    return error{errc::invalid_argument, std::string{what} + " '" + id + "': ids beginning with '" +
                                             std::string{reserved_prefix} +
                                             "' are reserved for dref's own records"};
  return {};
}

struct input_checker {
  const limits& lim;

  result<void> id_and_size(const std::string& id, const char* what,
                           const std::string& bytes) const {
    return first_failure([&] { return check_user_id(id, lim, what); },
                         [&] { return check_value_size(id, bytes.size(), lim); });
  }

  result<void> operator()(const cmd_create_if_absent& c) const {
    return first_failure([&] { return id_and_size(c.id, "ref id", c.value); },
                         [&] { return check_metadata(c.id, c.metadata, lim); });
  }
  result<void> operator()(const cmd_set& c) const { return id_and_size(c.id, "ref id", c.value); }
  result<void> operator()(const cmd_cas& c) const { return id_and_size(c.id, "ref id", c.value); }
  result<void> operator()(const cmd_patch& c) const { return check_user_id(c.id, lim, "ref id"); }
  result<void> operator()(const cmd_remove& c) const { return check_user_id(c.id, lim, "ref id"); }
  result<void> operator()(const cmd_set_metadata& c) const {
    return first_failure([&] { return check_user_id(c.id, lim, "ref id"); },
                         [&] { return check_metadata(c.id, c.metadata, lim); });
  }
  result<void> operator()(const cmd_run& c) const { return id_and_size(c.id, "ref id", c.args); }
  result<void> operator()(const cmd_set_owned& c) const {
    return first_failure([&] { return id_and_size(c.id, "ref id", c.value); },
                         [&] { return check_id(c.session, lim, "session id"); });
  }
  result<void> operator()(const cmd_session_open& c) const {
    if (auto ok = check_id(c.session, lim, "session id"); !ok)
      return ok;
    if (c.ttl_ms < lim.min_session_ttl_ms || c.ttl_ms > lim.max_session_ttl_ms)
      return error{errc::invalid_argument, "session '" + c.session + "': ttl " +
                                               std::to_string(c.ttl_ms) + " ms is outside " +
                                               std::to_string(lim.min_session_ttl_ms) + ".." +
                                               std::to_string(lim.max_session_ttl_ms) + " ms"};
    return {};
  }
  // A malformed session id names no open session: the handlers say so.
  result<void> operator()(const cmd_session_keepalive&) const { return {}; }
  result<void> operator()(const cmd_session_close&) const { return {}; }
  result<void> operator()(const cmd_expire_due&) const { return {}; }
  result<void> operator()(const cmd_lock_acquire& c) const {
    return check_lock_ids(c.lock, c.session, c.owner, lim);
  }
  result<void> operator()(const cmd_lock_release& c) const {
    return check_lock_ids(c.lock, c.session, c.owner, lim);
  }
  result<void> operator()(const cmd_lock_cancel_wait& c) const {
    return check_lock_ids(c.lock, c.session, c.owner, lim);
  }
  result<void> operator()(const cmd_lock_hand_over& c) const {
    return first_failure([&] { return check_lock_ids(c.lock, c.session, c.owner, lim); },
                         [&] { return check_id(c.to_owner, lim, "lock owner"); });
  }
  result<void> operator()(const cmd_publish& c) const {
    return id_and_size(c.topic, "topic id", c.message);
  }
  result<void> operator()(const cmd_topic_configure& c) const {
    if (auto ok = check_user_id(c.topic, lim, "topic id"); !ok)
      return ok;
    if (c.max_messages > lim.topic_max_messages)
      return error{errc::limit_exceeded,
                   "topic '" + c.topic + "': retention of " + std::to_string(c.max_messages) +
                       " messages exceeds the limit of " + std::to_string(lim.topic_max_messages)};
    if (c.max_bytes > lim.topic_max_bytes)
      return error{errc::limit_exceeded,
                   "topic '" + c.topic + "': retention of " + std::to_string(c.max_bytes) +
                       " bytes exceeds the limit of " + std::to_string(lim.topic_max_bytes)};
    return {};
  }
  result<void> operator()(const cmd_promise_deliver& c) const {
    return id_and_size(c.id, "promise id", c.value);
  }
  result<void> operator()(const cmd_delay_claim& c) const {
    return first_failure([&] { return check_user_id(c.id, lim, "delay id"); },
                         [&] { return check_id(c.session, lim, "session id"); });
  }
  result<void> operator()(const cmd_delay_complete& c) const {
    return first_failure([&] { return id_and_size(c.id, "delay id", c.value); },
                         [&] { return check_id(c.session, lim, "session id"); });
  }
  result<void> operator()(const cmd_delay_request& c) const {
    return check_user_id(c.id, lim, "delay id");
  }
  result<void> operator()(const cmd_delay_fail& c) const {
    return first_failure([&] { return id_and_size(c.id, "delay id", c.message); },
                         [&] { return check_id(c.session, lim, "session id"); });
  }
  result<void> operator()(const cmd_member_announce& c) const {
    return first_failure(
        [&] { return check_id(std::string{member_directory_prefix} + c.name, lim, "member name"); },
        [&] { return check_member_address(c.address); });
  }
  // The fence's lock id first, then the write's own input.
  result<void> operator()(const cmd_fenced& c) const {
    if (auto ok = check_user_id(c.fence.lock, lim, "lock id"); !ok)
      return ok;
    return std::visit(*this, c.write);
  }
  result<void> operator()(const cmd_txn& c) const { return check_txn(c, lim); }
};

// The contract is above cmd_txn: bounded counts, compares on any
// well-formed id, writes to distinct client ids, owned only when they set,
// values within one value's size in all.
result<void> check_txn(const cmd_txn& c, const limits& lim) {
  if (c.compares.size() > max_txn_ops || c.writes.size() > max_txn_ops)
    return error{errc::limit_exceeded, "a transaction has at most " + std::to_string(max_txn_ops) +
                                           " compares and as many writes; this one has " +
                                           std::to_string(c.compares.size()) + " and " +
                                           std::to_string(c.writes.size())};
  for (const auto& compare : c.compares)
    if (auto ok = check_id(compare.id, lim, "txn compare id"); !ok)
      return ok;
  std::set<std::string_view> written;
  std::size_t bytes = 0;
  for (const auto& write : c.writes) {
    if (auto ok = check_user_id(write.id, lim, "txn write id"); !ok)
      return ok;
    if (!written.insert(write.id).second)
      return error{errc::invalid_argument,
                   "a transaction writes ref '" + write.id + "' more than once"};
    if (write.remove && !write.value.empty())
      return error{errc::invalid_argument,
                   "a transaction's removal of ref '" + write.id + "' carries a value"};
    if (write.remove && !write.session.empty())
      return error{errc::invalid_argument, "a transaction's removal of ref '" + write.id +
                                               "' names an owning session; only sets are owned"};
    if (!write.session.empty())
      if (auto ok = check_id(write.session, lim, "session id"); !ok)
        return ok;
    if (auto ok = check_value_size(write.id, write.value.size(), lim); !ok)
      return ok;
    bytes += write.value.size();
  }
  if (bytes > lim.max_value_bytes)
    return error{errc::value_too_large, "a transaction writes " + std::to_string(bytes) +
                                            " bytes of values; at most " +
                                            std::to_string(lim.max_value_bytes) +
                                            " are allowed in all (limits.max_value_bytes)"};
  return {};
}

result<void> check_list(const store_read& request, const limits& lim) {
  if (!request.id.empty())
    if (auto ok = check_id(request.id, lim, "list prefix"); !ok)
      return ok;
  if (!request.after.empty())
    if (auto ok = check_id(request.after, lim, "list position"); !ok)
      return ok;
  if (request.id.starts_with(reserved_prefix))
    return error{errc::invalid_argument, "list prefix '" + request.id + "': ids beginning with '" +
                                             std::string{reserved_prefix} +
                                             "' are dref's own records and not listed"};
  if (request.max_messages > max_list_page)
    return error{errc::limit_exceeded,
                 "a list page holds at most " + std::to_string(max_list_page) + " ids; " +
                     std::to_string(request.max_messages) + " were asked for"};
  return {};
}

} // namespace

result<void> check_input(const store_command& command, const limits& lim) {
  return std::visit(input_checker{lim}, command);
}

bool internal_only(const store_command& command) {
  return std::holds_alternative<cmd_member_announce>(command);
}

result<void> refuse_internal(const store_command& command) {
  if (internal_only(command))
    return error{errc::invalid_argument,
                 "this command is dref's own (a member announcing its address); clients "
                 "cannot propose it"};
  return {};
}

store_reply refusal_reply(error err) {
  store_reply out;
  out.error = std::move(err);
  out.value = res_done{};
  return out;
}

result<void> check_member_address(std::string_view address) {
  auto bad = [&](const std::string& why) -> result<void> {
    return error{errc::invalid_argument,
                 "member address '" + std::string{address.substr(0, 80)} + "': " + why};
  };
  auto colon = address.rfind(':');
  if (colon == std::string_view::npos)
    return bad("expected host:port");
  auto host = address.substr(0, colon);
  auto port = address.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty() || host.size() > 253)
    return bad("the host is empty or too long");
  for (char c : host)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ||
          c == ':'))
      return bad("the host has a character other than letters, digits and . - _ :");
  if (port.empty() || port.size() > 5)
    return bad("the port is not a number from 1 to 65535");
  unsigned value = 0;
  for (char c : port) {
    if (c < '0' || c > '9')
      return bad("the port is not a number from 1 to 65535");
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value == 0 || value > 65535)
    return bad("the port is not a number from 1 to 65535");
  return {};
}

result<void> check_read(const store_read& request, const limits& lim) {
  if (request.kind == read_kind::session)
    return {};
  if (request.kind == read_kind::list)
    return check_list(request, lim);
  if (request.kind == read_kind::query) {
    if (request.command.empty())
      return error{errc::invalid_argument, "a query of '" + request.id + "' names no query"};
    if (auto ok = check_value_size(request.id, request.args.size(), lim); !ok)
      return ok;
  }
  return check_id(request.id, lim, "id");
}

} // namespace dref::store
