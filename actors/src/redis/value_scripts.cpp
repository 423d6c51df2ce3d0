#include "redis/value_scripts.hpp"

namespace dref::redis {

namespace {

// Shared by the writing scripts: takes the next version, stores the value
// and appends its event. The event kinds are store::event_kind's numbers.
constexpr std::string_view write_value = R"lua(
local function write_value(kind, id, old_version, bytes, maxlen)
  local version = redis.call('INCR', KEYS[2])
  redis.call('HSET', KEYS[1], 'value', bytes, 'version', version)
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', maxlen, '*', 'kind', kind, 'id', id,
             'old_version', old_version, 'new_version', version, 'value', bytes)
  return version
end
local created, written = 0, 1
)lua";

script with_writer(std::string name, std::string_view body) {
  return script{std::move(name), std::string{write_value} + std::string{body}};
}

} // namespace

value_keys keys_for_value(std::string_view prefix, std::string_view id) {
  std::string p{prefix};
  return {p + "v:" + std::string{id}, p + "version", p + "events"};
}

const script& value_create() {
  static const script s = with_writer("value_create", R"lua(
local current = redis.call('HGET', KEYS[1], 'version')
if current then
  return redis.error_reply('EXISTS ' .. current)
end
return write_value(created, ARGV[1], 0, ARGV[2], ARGV[3])
)lua");
  return s;
}

const script& value_get() {
  static const script s{"value_get", R"lua(
local found = redis.call('HMGET', KEYS[1], 'value', 'version')
if not found[2] then
  return false
end
return {found[1], tonumber(found[2])}
)lua"};
  return s;
}

const script& value_set() {
  static const script s = with_writer("value_set", R"lua(
local current = redis.call('HGET', KEYS[1], 'version')
if not current then
  return write_value(created, ARGV[1], 0, ARGV[2], ARGV[3])
end
return write_value(written, ARGV[1], current, ARGV[2], ARGV[3])
)lua");
  return s;
}

const script& value_cas() {
  static const script s = with_writer("value_cas", R"lua(
local current = redis.call('HGET', KEYS[1], 'version')
if not current then
  return redis.error_reply('NOT_FOUND no value has this id')
end
if current ~= ARGV[2] then
  return redis.error_reply('VERSION_CONFLICT ' .. current)
end
return write_value(written, ARGV[1], current, ARGV[3], ARGV[4])
)lua");
  return s;
}

} // namespace dref::redis
