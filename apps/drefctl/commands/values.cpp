#include "commands.hpp"
#include "dref/store/i64_codec.hpp"
#include "errors.hpp"

#include <charconv>
#include <cstdint>
#include <exception>
#include <optional>

namespace drefctl {

namespace {

using dref::store::i64_codec;

std::uint64_t version_number(const std::string& text) {
  std::uint64_t version = 0;
  std::size_t used = 0;
  try {
    version = std::stoull(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || text.front() == '-')
    throw usage_error{"EXPECTED_VERSION '" + text + "' is not a version number"};
  return version;
}

std::int64_t delta_number(const std::string& text) {
  std::int64_t delta = 0;
  std::size_t used = 0;
  try {
    delta = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size())
    throw usage_error{"DELTA '" + text + "' is not a 64-bit integer"};
  return delta;
}

// --fence LOCK:TOKEN, split at the last ':' (lock ids may hold ':').
std::optional<dref::fence> fence_of(const std::string& text) {
  if (text.empty())
    return std::nullopt;
  auto colon = text.rfind(':');
  std::uint64_t token = 0;
  const char* digits = colon == std::string::npos ? nullptr : text.data() + colon + 1;
  const char* end = text.data() + text.size();
  if (digits == nullptr || colon == 0 || digits == end ||
      std::from_chars(digits, end, token).ptr != end)
    throw usage_error{"--fence '" + text +
                      "' is not LOCK:TOKEN (a lock id, a colon and a "
                      "fencing token)"};
  return dref::fence{dref::manual_id(text.substr(0, colon)), token};
}

} // namespace

int run(session& s, const get_command& cmd) {
  auto got = checked(s.raw_ref(cmd.id).core().read());
  s.print(ref_value{cmd.id, std::move(got.value), got.version, std::move(got.owner)});
  return exit_ok;
}

int run(session& s, const set_command& cmd) {
  auto fence = fence_of(cmd.fence);
  auto r = s.raw_ref(cmd.id);
  if (cmd.ttl)
    s.print(ref_version{cmd.id, checked(r.try_set_with_ttl(cmd.value, *cmd.ttl))});
  else
    s.print(
        ref_version{cmd.id, checked(fence ? r.try_set(cmd.value, *fence) : r.try_set(cmd.value))});
  return exit_ok;
}

int run(session& s, const cas_command& cmd) {
  auto expected = version_number(cmd.expected_version);
  auto fence = fence_of(cmd.fence);
  auto r = s.raw_ref(cmd.id);
  s.print(ref_version{cmd.id, checked(fence ? r.try_set_at_version(expected, cmd.value, *fence)
                                            : r.try_set_at_version(expected, cmd.value))});
  return exit_ok;
}

int run(session& s, const rm_command& cmd) {
  auto fence = fence_of(cmd.fence);
  auto r = s.raw_ref(cmd.id);
  auto removed = checked(fence ? r.core().remove({}, &fence->wire()) : r.core().remove());
  s.print(ref_removed{cmd.id, removed.existed, removed.old_version});
  return exit_ok;
}

int run(session& s, const add_command& cmd) {
  auto delta = delta_number(cmd.delta);
  auto counter = s.context().existing<std::int64_t, i64_codec>(dref::manual_id(cmd.id));
  auto ran = checked(counter.try_run("add_i64", i64_codec::encode(delta)));
  s.print(counter_value{cmd.id, ran.value, ran.version});
  return exit_ok;
}

int run(session& s, const named_call_command& cmd) {
  auto r = s.context().existing<std::string, dref::raw_codec>(dref::manual_id(cmd.id));
  auto answered = checked(!cmd.query  ? r.try_command<std::string>(cmd.name, cmd.arg)
                          : cmd.stale ? r.try_stale_query<std::string>(cmd.name, cmd.arg)
                                      : r.try_query<std::string>(cmd.name, cmd.arg));
  s.print(ref_value{cmd.id, answered.value, answered.version, {}});
  return exit_ok;
}

int run(session& s, const publish_command& cmd) {
  auto topic = s.context().make_topic<std::string, dref::raw_codec>(dref::manual_id(cmd.topic));
  std::uint64_t seq = 0;
  try {
    seq = topic.publish(cmd.message);
  } catch (const dref::error_exception& ex) {
    throw command_failed{ex.error()};
  }
  s.print(published{cmd.topic, seq});
  return exit_ok;
}

} // namespace drefctl
