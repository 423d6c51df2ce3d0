// The store's snapshot (what a follower receives from a leader and what
// the raft backend reads back from disk) through store::restore, and value
// deltas (what clients send in cmd_patch) through apply_delta.
//
// A restored snapshot is not only decoded: the store then reads and applies
// commands against it, so that a snapshot whose parts contradict each other
// (a lock held by a session that does not exist, a waiter its session does
// not know of) is run through the code that assumes they agree.

#include "dref/protocol/codec.hpp"
#include "dref/store/delta.hpp"
#include "dref/store/store.hpp"
#include "harness.hpp"

#include <limits>
#include <xxhash.h>

namespace dref::fuzz {

using namespace protocol;

namespace {

// --- seeds --------------------------------------------------------------------

struct builder {
  store::store s;
  std::uint64_t index = 0;
  std::uint64_t now = 1'000'000;
  void run(store_command command, std::uint64_t client = 0, std::uint64_t sequence = 0) {
    (void)s.apply(++index, store_proposal{client, sequence, 0, now, std::move(command)});
  }
};

std::vector<std::string> snapshot_seeds() {
  std::vector<std::string> out{store::store{}.snapshot()};
  builder b;
  b.run(cmd_create_if_absent{"ref/a", "1", {{"k", "v"}, {"owner", std::string(40, 'o')}}});
  b.run(cmd_set{"ref/b", std::string(50, 'b')}, 77, 1);
  b.run(cmd_run{"counter", "add_i64", store::encode_i64(5)}, 77, 2);
  for (const char* session : {"s1", "s2", "s3"})
    b.run(cmd_session_open{session, 60'000});
  b.run(cmd_lock_acquire{"lock/x", "s1", "t1", true});
  b.run(cmd_lock_acquire{"lock/x", "s2", "t2", true});
  b.run(cmd_lock_acquire{"lock/x", "s3", "t3", true});
  b.run(cmd_lock_acquire{"lock/x", "s2", "t4", true});
  b.run(cmd_lock_acquire{"lock/y", "s3", "t1", true});
  b.run(cmd_publish{"topic/t", "m1"});
  b.run(cmd_publish{"topic/t", std::string(30, 'm')});
  b.run(cmd_topic_configure{"topic/u", 2, 0});
  b.run(cmd_publish{"topic/u", "u1"});
  b.run(cmd_promise_deliver{"promise/p", "kept"}, 78, 1);
  b.run(cmd_delay_claim{"delay/d", "s1"});
  b.run(cmd_delay_claim{"delay/e", "s2"});
  b.run(cmd_delay_complete{"delay/e", "s2", "done"});
  out.push_back(b.s.snapshot());
  // Some time later: s3 expired, its lock passed on or freed.
  b.now += 40'000;
  b.run(cmd_session_keepalive{"s1"});
  b.run(cmd_session_keepalive{"s2"});
  b.now += 30'000;
  b.run(cmd_expire_due{});
  out.push_back(b.s.snapshot());
  return out;
}

// --- exercising a restored store --------------------------------------------

template <class Map>
std::vector<std::string> some_keys(const Map& map) {
  std::vector<std::string> out;
  if (!map.empty()) {
    out.push_back(map.begin()->first);
    out.push_back(map.rbegin()->first);
  }
  return out;
}

void exercise(store::store& s, probe& p) {
  const auto& st = s.state();
  std::vector<std::string> ids;
  auto add = [&](const auto& map) {
    for (auto& id : some_keys(map))
      ids.push_back(id);
  };
  add(st.values);
  add(st.promises);
  add(st.sessions);
  add(st.locks);
  add(st.topics);
  add(st.delays);
  ids.push_back("absent");

  for (const auto& id : ids)
    for (auto kind : {read_kind::value, read_kind::lock, read_kind::topic, read_kind::promise,
                      read_kind::delay, read_kind::session})
      for (std::uint64_t from : {std::uint64_t{0}, std::uint64_t{2}, ~std::uint64_t{0}})
        (void)s.read(store_read{kind, id, from, 3});
  for (const auto& id : ids)
    for (const auto& prefix : {std::string{}, id.substr(0, 1), id})
      for (std::uint64_t limit : {std::uint64_t{0}, std::uint64_t{1}, ~std::uint64_t{0}})
        (void)s.read(store_read{read_kind::list, prefix, 0, limit, id});

  std::vector<store_command> commands;
  std::string session = st.sessions.empty() ? "s1" : st.sessions.begin()->first;
  for (const auto& [id, lock] : st.locks) {
    commands.push_back(cmd_lock_release{id, lock.session, lock.owner, lock.token});
    for (const auto& w : lock.waiters)
      commands.push_back(cmd_lock_cancel_wait{id, w.session, w.owner});
    commands.push_back(cmd_lock_acquire{id, session, "fuzz", false});
    if (commands.size() > 16)
      break;
  }
  for (const auto& [id, value] : st.values) {
    commands.push_back(cmd_patch{id, value.version, store::encode_delta(value.value, "patched")});
    commands.push_back(cmd_run{id, "add_i64", store::encode_i64(1)});
    commands.push_back(cmd_set_metadata{id, {{"k", "v"}}});
    break;
  }
  for (const auto& [id, topic] : st.topics) {
    commands.push_back(cmd_publish{id, "more"});
    commands.push_back(cmd_topic_configure{id, 1, 1});
    break;
  }
  for (const auto& [id, delay] : st.delays) {
    commands.push_back(cmd_delay_claim{id, session});
    commands.push_back(cmd_delay_complete{id, delay.runner, "v"});
    break;
  }
  for (const auto& [id, entry] : st.sessions) {
    commands.push_back(cmd_session_keepalive{id});
    commands.push_back(cmd_session_close{id});
    break;
  }
  std::uint64_t client = st.clients.empty() ? 0 : st.clients.begin()->first;
  std::uint64_t cached = 0;
  if (client != 0 && !st.clients.begin()->second.replies.empty())
    cached = st.clients.begin()->second.replies.begin()->first;

  std::uint64_t now = s.now_ms();
  for (auto& command : commands) {
    if (s.applied_index() == std::numeric_limits<std::uint64_t>::max())
      break;
    (void)s.apply(s.applied_index() + 1, store_proposal{client, cached, 0, now, command});
  }
  // Every session expires, taking its locks, waits and delay runs with it.
  if (s.applied_index() < std::numeric_limits<std::uint64_t>::max())
    (void)s.apply(
        s.applied_index() + 1,
        store_proposal{0, 0, 0, std::numeric_limits<std::uint64_t>::max() / 2, cmd_expire_due{}});

  auto again = s.snapshot();
  auto restored = store::store::restore(again);
  if (!restored)
    p.fail("the state after commands does not restore: " + restored.error().to_string());
  else if (!(*restored == s))
    p.fail("the state after commands restores to another state");
}

target snapshot_target() {
  target t;
  t.group = "store";
  t.name = "store.snapshot";
  t.seeds = snapshot_seeds();
  t.check = [](std::string_view input, probe& p) {
    auto restored = p.measured(input.size(), [&] { return store::store::restore(input); });
    if (!restored) {
      if (restored.error().code != errc::decode_failed &&
          restored.error().code != errc::wire_version_mismatch)
        p.fail("restore failed with " + restored.error().to_string());
      return;
    }
    p.accepted();
    if (restored->snapshot() != input)
      p.fail("the restored store snapshots to other bytes: " + to_hex(restored->snapshot()));
    exercise(*restored, p);
  };
  t.fixup = [](std::string& bytes, rng&) {
    std::string header;
    write_frame_header(header, type_tag(store::store_state::wire_name));
    bytes.replace(0, std::min(bytes.size(), header.size()), header);
  };
  t.weight = 4;
  return t;
}

// --- deltas -------------------------------------------------------------------

constexpr std::size_t delta_max_size = 64 << 10;

const std::string& delta_base() {
  static const std::string base = [] {
    std::string out;
    for (int i = 0; i < 40; ++i)
      out += "{\"field" + std::to_string(i) + "\": " + std::to_string(i * 7) + "}, ";
    return out;
  }();
  return base;
}

target delta_target() {
  target t;
  t.group = "store";
  t.name = "store.delta";
  {
    const auto& base = delta_base();
    std::string changed = base;
    changed.replace(100, 5, "CHANGED");
    t.seeds = {store::encode_delta(base, changed), store::encode_delta(base, ""),
               store::encode_delta(base, base + base), store::encode_delta(base, "short")};
  }
  t.check = [](std::string_view input, probe& p) {
    const auto& base = delta_base();
    auto patched =
        p.measured(input.size(), [&] { return store::apply_delta(base, input, delta_max_size); });
    if (!patched) {
      auto code = patched.error().code;
      if (code != errc::decode_failed && code != errc::value_too_large)
        p.fail("apply_delta failed with " + patched.error().to_string());
      return;
    }
    p.accepted();
    if (patched->size() > delta_max_size)
      p.fail("apply_delta made " + std::to_string(patched->size()) + " bytes, over its limit");
    auto again = store::apply_delta(base, store::encode_delta(base, *patched), delta_max_size);
    if (!again || *again != *patched)
      p.fail("the patched value does not survive a delta of its own");
  };
  // Most mutants would fail the base hash before zstd sees them.
  t.fixup = [](std::string& bytes, rng& r) {
    if (bytes.size() < 16)
      return;
    bytes[0] = 'd';
    bytes[1] = 'D';
    bytes[2] = 1;
    std::uint64_t hash = XXH3_64bits(delta_base().data(), delta_base().size());
    for (int i = 0; i < 8; ++i)
      bytes[8 + static_cast<std::size_t>(i)] = static_cast<char>((hash >> (8 * i)) & 0xff);
    if (r.chance(30)) // a size the limit lets through
      for (int i = 0; i < 4; ++i)
        bytes[4 + static_cast<std::size_t>(i)] =
            static_cast<char>((r.below(delta_max_size) >> (8 * i)) & 0xff);
  };
  // zstd's decompression context (about 100 KiB, malloc'ed) and the output
  // buffer, sized from the header but refused above delta_max_size.
  t.bound = alloc_bound{32, delta_max_size + (256 << 10)};
  return t;
}

} // namespace

void add_store_targets(std::vector<target>& out) {
  out.push_back(snapshot_target());
  out.push_back(delta_target());
}

} // namespace dref::fuzz
