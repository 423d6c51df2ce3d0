// Random command sequences: the store against the reference model (same
// replies, same events), two stores against each other (byte-identical
// snapshots), and snapshot-then-restore against applying everything.

#include "dref/store/delta.hpp"
#include "dref/store/reply_cache.hpp"
#include "dref/store/store.hpp"
#include "reference_model.hpp"

#include <boost/test/unit_test.hpp>
#include <random>

using namespace dref;
using namespace dref::protocol;

namespace {

store::limits test_limits() {
  store::limits lim;
  lim.max_id_length = 12;
  lim.max_value_bytes = 24;
  lim.max_metadata_bytes = 16;
  lim.topic_max_messages = 6;
  lim.topic_max_bytes = 60;
  lim.client_idle_ms = 1ull << 40;
  return lim;
}

class generator {
public:
  explicit generator(std::uint64_t seed, std::uint64_t clients = 3)
      : rng_(seed)
      , clients_(clients) {}

  store_proposal next(const store::store& current) {
    now_ += pick(0, 60);
    if (chance(5))
      now_ -= std::min<std::uint64_t>(now_, 200); // a leader with a slower clock
    if (!history_.empty() && chance(8)) {
      // A retry of an earlier proposal, with its original header.
      auto retry = history_[pick(0, history_.size() - 1)];
      retry.leader_time_ms = now_;
      return retry;
    }
    store_proposal p{0, 0, 0, now_, command(current)};
    if (chance(40)) {
      p.client_id = pick(1, clients_);
      auto& seq = sequences_[p.client_id];
      p.sequence = ++seq;
      p.acked_sequence = chance(50) ? pick(0, seq - 1) : 0;
      history_.push_back(p);
    }
    return p;
  }

private:
  bool chance(int percent) { return pick(0, 99) < static_cast<std::uint64_t>(percent); }
  std::uint64_t pick(std::uint64_t lo, std::uint64_t hi) {
    return std::uniform_int_distribution<std::uint64_t>{lo, hi}(rng_);
  }
  template <std::size_t N>
  std::string one_of(const std::array<const char*, N>& options) {
    return chance(3) ? "bad id" : options[pick(0, N - 1)];
  }
  std::string value() {
    switch (pick(0, 3)) {
      case 0:
        return store::encode_i64(static_cast<std::int64_t>(pick(0, 10)) - 5);
      case 1:
        return store::encode_i64(INT64_MAX - static_cast<std::int64_t>(pick(0, 2)));
      case 2:
        return std::string(pick(0, 30), static_cast<char>('a' + pick(0, 3)));
      default:
        return "v" + std::to_string(pick(0, 9));
    }
  }
  std::string ref() { return one_of(std::array{"a", "b", "c"}); }
  std::string session() { return one_of(std::array{"s1", "s2", "s3"}); }
  std::string owner() { return one_of(std::array{"o1", "o2"}); }
  std::string lock() { return one_of(std::array{"L1", "L2"}); }
  std::string topic() { return one_of(std::array{"t1", "t2"}); }
  std::string promise() { return one_of(std::array{"p1", "p2"}); }
  std::string delay() { return one_of(std::array{"d1", "d2"}); }
  std::uint64_t version(const store::store& s, const std::string& id) {
    auto v = s.get(id);
    if (v && chance(80))
      return v->version;
    return pick(0, 3);
  }
  std::uint64_t token(const store::store& s, const std::string& id) {
    auto held = s.lock(id);
    return held.held && chance(85) ? held.token : pick(0, 5);
  }

  store_command command(const store::store& s) {
    switch (pick(0, 26)) {
      case 0: {
        metadata_map m;
        if (chance(30))
          m[chance(10) ? "" : "k"] = std::string(pick(0, 20), 'm');
        return cmd_create_if_absent{ref(), value(), m};
      }
      case 1:
        return cmd_set{ref(), value()};
      case 2: {
        auto id = ref();
        return cmd_cas{id, version(s, id), value()};
      }
      case 3: {
        auto id = ref();
        auto current = s.get(id);
        std::string base = current ? current->value : std::string{"x"};
        if (chance(20))
          base += "?"; // a delta against the wrong base
        return cmd_patch{id, version(s, id), store::encode_delta(base, value())};
      }
      case 4:
        return cmd_remove{ref()};
      case 5: {
        metadata_map m;
        m[chance(10) ? "" : "k"] = std::string(pick(0, 20), 'm');
        return cmd_set_metadata{ref(), m};
      }
      case 6:
        return cmd_run{ref(), chance(5) ? "nope" : "add_i64",
                       chance(5) ? "xx" : store::encode_i64(static_cast<std::int64_t>(pick(0, 4)))};
      case 7:
        return cmd_session_open{session(), chance(10) ? 1 : pick(3, 12) * 100};
      case 8:
        return cmd_session_keepalive{session()};
      case 9:
        return chance(30) ? store_command{cmd_session_close{session()}}
                          : store_command{cmd_expire_due{}};
      case 10:
      case 11:
        return cmd_lock_acquire{lock(), session(), owner(), chance(70)};
      case 12: {
        auto id = lock();
        auto held = s.lock(id);
        bool as_holder = held.held && chance(70);
        return cmd_lock_release{id, as_holder ? held.session : session(),
                                as_holder ? held.owner : owner(), token(s, id)};
      }
      case 13:
        return cmd_lock_cancel_wait{lock(), session(), owner()};
      case 26: {
        auto id = lock();
        auto held = s.lock(id);
        bool as_holder = held.held && chance(80);
        return cmd_lock_hand_over{id, as_holder ? held.session : session(),
                                  as_holder ? held.owner : owner(), token(s, id), owner()};
      }
      case 14:
        return cmd_publish{topic(), value()};
      case 15:
        return cmd_topic_configure{topic(), pick(0, 8), pick(0, 70)};
      case 16:
        return cmd_promise_deliver{promise(), value()};
      case 17:
        return cmd_delay_claim{delay(), session()};
      case 18:
        return cmd_delay_complete{delay(), session(), value()};
      case 20:
        return cmd_delay_request{delay()};
      case 21: {
        auto id = delay();
        auto state = s.delay(id);
        return cmd_delay_fail{id, state.claimed && chance(70) ? state.runner : session(),
                              chance(10) ? std::string(pick(0, 40), 'e') : "boom"};
      }
      case 24:
      case 25:
        return cmd_set_owned{ref(), value(), session(), chance(30)};
      case 19: {
        cmd_txn t;
        for (auto n = pick(0, 3); n > 0; --n) {
          auto id = ref();
          t.compares.push_back({id, chance(30) ? 0 : version(s, id)});
        }
        for (auto n = pick(0, 3); n > 0; --n) // a repeated id is refused whole
          t.writes.push_back(chance(30) ? txn_write{ref(), true, chance(5) ? "x" : "",
                                                    chance(3) ? session() : std::string{}}
                                        : txn_write{ref(), false, value(),
                                                    chance(30) ? session() : std::string{}});
        return t;
      }
      default: {
        auto id = ref();
        auto guard = lock();
        write_fence fence{guard, token(s, guard)};
        switch (pick(0, 3)) {
          case 0:
            return cmd_fenced{fence, cmd_set{id, value()}};
          case 1:
            return cmd_fenced{fence, cmd_cas{id, version(s, id), value()}};
          case 2: {
            auto current = s.get(id);
            std::string base = current ? current->value : std::string{"x"};
            return cmd_fenced{fence,
                              cmd_patch{id, version(s, id), store::encode_delta(base, value())}};
          }
          default:
            return cmd_fenced{fence, cmd_remove{id}};
        }
      }
    }
  }

  std::mt19937_64 rng_;
  std::uint64_t clients_;
  std::uint64_t now_ = 0;
  std::map<std::uint64_t, std::uint64_t> sequences_;
  std::vector<store_proposal> history_;
};

std::string describe(const store_proposal& p) {
  std::string out = "proposal{client " + std::to_string(p.client_id) + " seq " +
                    std::to_string(p.sequence) + " acked " + std::to_string(p.acked_sequence) +
                    " time " + std::to_string(p.leader_time_ms) + " command #" +
                    std::to_string(p.command.index()) + "}";
  return out;
}

bool same_reply(const store_reply& a, const store_reply& b) {
  if (a.error.has_value() != b.error.has_value())
    return false;
  if (a.error)
    return a.error->code == b.error->code;
  return a.value == b.value;
}

constexpr int seeds = 2000;
constexpr int steps = 400;

} // namespace

BOOST_AUTO_TEST_SUITE(store_properties)

BOOST_AUTO_TEST_CASE(store_matches_reference_model) {
  for (int seed = 1; seed <= seeds; ++seed) {
    store::store s{test_limits()};
    test::reference_model model{test_limits()};
    generator gen{static_cast<std::uint64_t>(seed)};
    std::uint64_t index = 0;
    for (int step = 0; step < steps; ++step) {
      auto p = gen.next(s);
      index += 1 + (step % 3 == 0); // indexes with gaps, as in a log with other entries
      auto got = s.apply(index, p);
      auto want = model.apply(index, p);
      BOOST_TEST_REQUIRE(same_reply(got.reply, want.reply),
                         "seed " << seed << " step " << step << " " << describe(p) << ": store "
                                 << (got.reply.error ? got.reply.error->to_string() : "ok")
                                 << ", model "
                                 << (want.reply.error ? want.reply.error->to_string() : "ok"));
      BOOST_TEST_REQUIRE(got.duplicate == want.duplicate, "seed " << seed << " step " << step);
      BOOST_TEST_REQUIRE(got.events.size() == want.events.size(),
                         "seed " << seed << " step " << step << " " << describe(p) << ": events "
                                 << got.events.size() << " vs " << want.events.size());
      for (std::size_t i = 0; i < got.events.size(); ++i)
        BOOST_TEST_REQUIRE((got.events[i] == want.events[i]),
                           "seed " << seed << " step " << step << " event " << i << " ("
                                   << to_string(got.events[i].kind) << " vs "
                                   << to_string(want.events[i].kind) << ")");
      for (const char* t : {"t1", "t2"}) {
        auto page = s.read_topic(t, 0, 100);
        BOOST_TEST_REQUIRE(page.has_value());
        BOOST_TEST_REQUIRE((page->messages == model.read(t)), "seed " << seed << " topic " << t);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(same_proposals_give_byte_identical_stores) {
  for (int seed = 1; seed <= seeds / 3; ++seed) {
    store::store a{test_limits()}, b{test_limits()};
    generator gen{static_cast<std::uint64_t>(seed)};
    for (std::uint64_t index = 1; index <= steps; ++index) {
      auto p = gen.next(a);
      auto ra = a.apply(index, p);
      auto rb = b.apply(index, p);
      BOOST_TEST_REQUIRE((ra.reply == rb.reply));
      BOOST_TEST_REQUIRE((ra.events == rb.events));
    }
    BOOST_TEST_REQUIRE(a.snapshot() == b.snapshot(), "seed " << seed);
  }
}

BOOST_AUTO_TEST_CASE(snapshot_restore_then_continue_equals_applying_all) {
  for (int seed = 1; seed <= seeds / 3; ++seed) {
    store::store whole{test_limits()};
    std::optional<store::store> resumed;
    generator gen{static_cast<std::uint64_t>(seed)};
    const std::uint64_t cut = 1 + static_cast<std::uint64_t>(seed) % steps;
    for (std::uint64_t index = 1; index <= steps; ++index) {
      auto p = gen.next(whole);
      auto expected = whole.apply(index, p);
      if (index == cut) {
        auto restored = store::store::restore(whole.snapshot(), test_limits());
        BOOST_TEST_REQUIRE(restored.has_value());
        BOOST_TEST_REQUIRE((*restored == whole));
        resumed.emplace(std::move(*restored));
      } else if (resumed) {
        auto got = resumed->apply(index, p);
        BOOST_TEST_REQUIRE((got.reply == expected.reply), "seed " << seed << " index " << index);
        BOOST_TEST_REQUIRE((got.events == expected.events), "seed " << seed << " index " << index);
      }
    }
    BOOST_TEST_REQUIRE(resumed.has_value());
    BOOST_TEST_REQUIRE(resumed->snapshot() == whole.snapshot(), "seed " << seed);
  }
}

// The cache's bytes, counted from the state itself.
std::uint64_t counted_cache_bytes(const store::store& s, std::uint64_t& largest_client) {
  std::uint64_t total = 0;
  largest_client = 0;
  for (const auto& [id, client] : s.state().clients) {
    std::uint64_t bytes = 0;
    for (const auto& [seq, reply] : client.replies)
      bytes += store::cached_reply_size(reply);
    largest_client = std::max(largest_client, bytes);
    total += store::client_entry_bytes + bytes;
  }
  return total;
}

// Many clients reach the total bound; few clients, each their own bound.
BOOST_AUTO_TEST_CASE(the_retry_cache_stays_within_its_bounds) {
  struct bounds {
    std::uint64_t clients, per_client, total;
  };
  for (auto [clients, per_client, total] : {bounds{200, 400, 3000}, bounds{3, 250, 1ull << 20}}) {
    auto lim = test_limits();
    lim.max_cached_reply_bytes_per_client = per_client;
    lim.max_cached_reply_bytes = total;
    std::uint64_t evictions_seen = 0;
    for (int seed = 1; seed <= seeds / 10; ++seed) {
      store::store s{lim};
      generator gen{static_cast<std::uint64_t>(seed), clients};
      for (std::uint64_t index = 1; index <= steps; ++index) {
        auto p = gen.next(s);
        auto got = s.apply(index, p);
        std::uint64_t largest_client = 0;
        auto counted = counted_cache_bytes(s, largest_client);
        BOOST_TEST_CONTEXT("clients " << clients << " seed " << seed << " index " << index) {
          BOOST_TEST_REQUIRE(counted == s.cached_reply_bytes());
          BOOST_TEST_REQUIRE(counted <= total);
          BOOST_TEST_REQUIRE(largest_client <= per_client);
        }
        if (got.duplicate && got.reply.error &&
            got.reply.error->message.find("dropped to bound") != std::string::npos)
          ++evictions_seen;
      }
      auto restored = store::store::restore(s.snapshot(), lim);
      BOOST_TEST_REQUIRE(restored.has_value());
      BOOST_TEST_REQUIRE(restored->cached_reply_bytes() == s.cached_reply_bytes());
    }
    // The bounds were reached, not just respected.
    BOOST_TEST(evictions_seen > 0u, "clients " << clients);
  }
}

BOOST_AUTO_TEST_SUITE_END()
