#pragma once
// dref::context: a program's handle on a backend, bound to a CAF actor
// system. Make refs, promises, delays, topics, locks and elections through
// it. The backend comes from the node configuration (memory by default) or
// from one started or connected beforehand (backends.hpp); contexts that
// share one memory_backend in a process behave like nodes of one cluster
// (what the tests use for cross-node semantics).
//
// Destroy every context before its actor_system: the system waits for the
// backend actors to stop.

#include "dref/backends.hpp"
#include "dref/codec.hpp"
#include "dref/config/node_config.hpp"
#include "dref/delay.hpp"
#include "dref/election.hpp"
#include "dref/id.hpp"
#include "dref/lock.hpp"
#include "dref/pending.hpp"
#include "dref/promise.hpp"
#include "dref/ref.hpp"
#include "dref/topic.hpp"
#include "dref/txn.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <source_location>
#include <type_traits>

namespace caf {
class actor_system;
class scheduled_actor;
} // namespace caf

namespace dref {

namespace detail {
struct context_access;
}

// What make_or_join answers: the handle, and whether this call created the
// value (false: it joined one that existed, left as it was).
template <class T, class Codec = binary_codec<T>>
requires codec_for<Codec, T>
struct made {
  ref<T, Codec> handle;
  bool created = false;
  std::uint64_t version = 0; // of the value now stored (the existing one when joined)
};

struct context_options {
  std::chrono::milliseconds request_timeout{5000};
  int max_update_attempts = 200;
  // The session behind this context's locks and delays: if the context
  // stops renewing it (crash, pause, partition) for this long, everything
  // it holds passes on.
  std::chrono::milliseconds session_ttl{3000};
};

class context {
public:
  // Backend from cfg.backend; errc::invalid_config (thrown) for a backend
  // this build cannot run yet.
  explicit context(caf::actor_system& sys, const config::node_config& cfg = {});
  context(caf::actor_system& sys, const memory_backend& shared, context_options options = {});
  context(caf::actor_system& sys, const raft_member& member, context_options options = {});
  context(caf::actor_system& sys, const redis_backend& shared, context_options options = {});
  ~context();
  context(const context&) = delete;
  context& operator=(const context&) = delete;

  // The ref under an id derived from the call site (the same on every node
  // running the same binary), created with `initial` unless it exists: an
  // existing value is joined, never overwritten.
  template <class T, class Codec = binary_codec<T>>
  requires codec_for<Codec, T> ref<T, Codec>
  make(const T& initial, std::source_location where = std::source_location::current()) {
    return make<T, Codec>(initial, auto_id(where));
  }
  // metadata: the value's metadata when this call creates it (as
  // set_metadata would set it; a joined value keeps its own).
  template <class T, class Codec = binary_codec<T>>
  requires codec_for<Codec, T> ref<T, Codec> make(const T& initial, const dref::id& id,
                                                  protocol::metadata_map metadata = {}) {
    return make_or_join<T, Codec>(initial, id, std::move(metadata)).handle;
  }
  // make, also saying whether this call created the value or joined an
  // existing one (on every backend: one create-if-absent command decides).
  template <class T, class Codec = binary_codec<T>>
  requires codec_for<Codec, T> made<T, Codec> make_or_join(const T& initial, const dref::id& id,
                                                           protocol::metadata_map metadata = {}) {
    detail::ref_core core{impl_, id.str()};
    auto created = core.create(Codec::encode(initial), std::move(metadata)).value();
    return made<T, Codec>{ref<T, Codec>{std::move(core)}, created.created, created.version};
  }
  // The same from an actor (Self: any CAF scheduled actor; see ref.hpp).
  template <class T, class Codec = binary_codec<T>, class Self>
  requires codec_for<Codec, T> pending<made<T, Codec>>
  make_or_join(Self* self, const T& initial, const dref::id& id, detail::timeout_ms timeout = {}) {
    return make_or_join<T, Codec>(self, initial, id, protocol::metadata_map{}, timeout);
  }
  template <class T, class Codec = binary_codec<T>, class Self>
  requires codec_for<Codec, T> pending<made<T, Codec>>
  make_or_join(Self* self, const T& initial, const dref::id& id, protocol::metadata_map metadata,
               detail::timeout_ms timeout = {}) {
    detail::ref_core core{impl_, id.str()};
    auto* scheduled = detail::as_scheduled(self);
    return pending<made<T, Codec>>{[core, scheduled, bytes = Codec::encode(initial),
                                    metadata = std::move(metadata),
                                    timeout](std::function<void(result<made<T, Codec>>)> done) {
      core.async_create(scheduled, bytes, metadata, timeout,
                        [core, done = std::move(done)](result<protocol::res_created> got) {
                          if (!got)
                            return done(std::move(got).error());
                          done(made<T, Codec>{ref<T, Codec>{core}, got->created, got->version});
                        });
    }};
  }

  // --- the keyspace: ids by prefix (store::store::list has the contract:
  // byte order, `after` exclusive, limit 0 = the most a page holds, 1000;
  // more = ids follow; pages of one listing with the same revision show one
  // snapshot). Linearizable like get(). Ids under "dref/" (dref's own
  // records) are not listed. Blocking: throws error_exception; try_list
  // returns the error.
  protocol::list_page list(const std::string& prefix, const std::string& after = {},
                           std::uint64_t limit = 0);
  result<protocol::list_page> try_list(const std::string& prefix, const std::string& after = {},
                                       std::uint64_t limit = 0, detail::timeout_ms timeout = {});
  template <class Self>
  requires std::is_class_v<Self> pending<protocol::list_page>
  list(Self* self, const std::string& prefix, const std::string& after = {},
       std::uint64_t limit = 0, detail::timeout_ms timeout = {}) {
    auto* scheduled = detail::as_scheduled(self);
    return pending<protocol::list_page>{[impl = impl_, scheduled, prefix, after, limit, timeout](
                                            std::function<void(result<protocol::list_page>)> done) {
      async_list(impl, scheduled, prefix, after, limit, timeout, std::move(done));
    }};
  }

  // --- prefix watches: f(id, change) (change.hpp) for each change of every
  // value whose id begins with prefix: created, written, removed (with the
  // removed value), metadata, and catch-ups, from any node, in revision
  // order, one call at a time on a CAF worker thread (keep f short), until
  // the returned subscription is cancelled or destroyed. T and Codec as for
  // ref<T, Codec>: values Codec cannot decode come as nullopt (raw_codec
  // takes every value as its bytes). Locks, topics and the other kinds
  // sharing an id are not reported. Every change after the watch is in
  // place reaches f; for a view without a gap, list the prefix after that
  // (list() above): a change whose new_version is at or below the page's
  // revision is already in the page. A watcher that missed changes (redis,
  // or a cluster client that failed over past its member's event history)
  // gets a caught_up change for each id whose value moved meanwhile and a
  // removal for each id it knew that is gone. The prefix is not empty, has
  // only the characters of an id, and does not begin with "dref/" (dref's
  // own records are never reported): invalid_argument otherwise. Blocking:
  // throws error_exception; the actor form answers once the watch is in
  // place.
  template <class T, class Codec = binary_codec<T>, class F>
  [[nodiscard]] subscription watch_prefix(const std::string& prefix, F f) {
    return watch_prefix_bytes(prefix, detail::typed_keyed_handler<T, Codec>(std::move(f)), {})
        .value();
  }
  template <class T, class Codec = binary_codec<T>, class Self, class F>
  requires std::is_class_v<Self> pending<subscription>
  watch_prefix(Self* self, const std::string& prefix, F f, detail::timeout_ms timeout = {}) {
    auto* scheduled = detail::as_scheduled(self);
    auto handler = detail::typed_keyed_handler<T, Codec>(std::move(f));
    return pending<subscription>{[impl = impl_, scheduled, prefix, handler,
                                  timeout](std::function<void(result<subscription>)> done) {
      async_watch_prefix(impl, scheduled, prefix, handler, timeout, std::move(done));
    }};
  }

  // --- transactions: compares, then writes, atomically (txn.hpp has the
  // contract). commit throws error_exception on an error; a failed compare
  // is an answer (committed false), not an error.
  txn_result commit(const txn& t);
  result<txn_result> try_commit(const txn& t, detail::timeout_ms timeout = {});
  template <class Self>
  requires std::is_class_v<Self> pending<txn_result> commit(Self* self, const txn& t,
                                                            detail::timeout_ms timeout = {}) {
    auto* scheduled = detail::as_scheduled(self);
    return pending<txn_result>{
        [impl = impl_, scheduled, t, timeout](std::function<void(result<txn_result>)> done) {
          async_commit(impl, scheduled, t, timeout, std::move(done));
        }};
  }

  // A handle to an existing ref (not checked until used: get() on a
  // missing id fails with errc::not_found).
  template <class T, class Codec = binary_codec<T>>
  requires codec_for<Codec, T> ref<T, Codec> existing(const dref::id& id) {
    return ref<T, Codec>{detail::ref_core{impl_, id.str()}};
  }

  // A promise under id (see promise.hpp); nothing is written until deliver.
  template <class T, class Codec = binary_codec<T>>
  requires codec_for<Codec, T> promise<T, Codec> make_promise(const dref::id& id) {
    return promise<T, Codec>{detail::promise_core{impl_, id.str()}};
  }

  // A delay under id (see delay.hpp): with a body, get() may run it, and
  // this context runs it when a get() without one asks (blocking: installs
  // a watch, errors thrown); without one, get() asks the body-holders.
  template <class T, class Codec = binary_codec<T>>
  requires codec_for<Codec, T> delay<T, Codec> make_delay(const dref::id& id,
                                                          std::function<T()> body = {}) {
    detail::delay_core core{impl_, id.str(), nullptr};
    if (body)
      core.offer =
          detail::offer_delay_body(impl_, core.id, [body] { return Codec::encode(body()); });
    return delay<T, Codec>{std::move(core), std::move(body)};
  }

  // A topic under id (see topic.hpp).
  template <class T, class Codec = binary_codec<T>>
  requires codec_for<Codec, T> topic<T, Codec> make_topic(const dref::id& id) {
    return topic<T, Codec>{detail::topic_core{impl_, id.str()}};
  }

  // --- locks (see lock.hpp). Blocking; lock() waits without a deadline,
  // try_lock() never waits, try_lock_for() waits at most `wait`.
  lock_guard lock(const dref::id& id);
  std::optional<lock_guard> try_lock(const dref::id& id);
  std::optional<lock_guard> try_lock_for(const dref::id& id, std::chrono::milliseconds wait);
  // Releases one level of lock id, held by this context under
  // fencing_token (e.g. taken on another of its threads; prefer the
  // guard). Anyone else, a stale token, or a lock nobody holds:
  // errc::not_holder (thrown), and the lock stays as it is.
  void unlock(const dref::id& id, std::uint64_t fencing_token);
  template <class F>
  auto with_lock(const dref::id& id, F&& f) {
    auto guard = lock(id);
    return f(static_cast<const lock_guard&>(guard));
  }

  // --- locks from actors (Self: any CAF scheduled actor; see lock.hpp). The
  // holder is the actor: it may lock again (reentrant); other actors, of
  // this context or not, wait their turn. Nothing blocks: lock() waits in
  // the backend's queue and answers with the fencing token once granted.
  // on_lost, if given, runs in self's context should the grant be lost
  // (this context's session lapsed). Unlock before the actor terminates:
  // its locks otherwise stay held until the context shuts down.
  template <class Self>
  pending<std::uint64_t> lock(Self* self, const dref::id& id, std::function<void()> on_lost = {}) {
    auto core = lock_core(id);
    auto* scheduled = detail::as_scheduled(self);
    return pending<std::uint64_t>{
        [core, scheduled, on_lost](std::function<void(result<std::uint64_t>)> done) {
          core.acquire(scheduled, detail::actor_owner(scheduled), std::nullopt, on_lost,
                       [done](result<std::optional<std::uint64_t>> got) {
                         if (!got)
                           return done(std::move(got).error());
                         if (!*got) // not without a deadline; kept from being UB
                           return done(error{errc::internal, "lock: no grant"});
                         done(**got);
                       });
        }};
  }
  // nullopt: someone else holds it (try_lock never waits; try_lock_for
  // waits up to `wait`, then leaves the queue).
  template <class Self>
  pending<std::optional<std::uint64_t>> try_lock(Self* self, const dref::id& id,
                                                 std::function<void()> on_lost = {}) {
    return acquire_from(self, id, std::chrono::milliseconds{0}, std::move(on_lost));
  }
  template <class Self>
  pending<std::optional<std::uint64_t>> try_lock_for(Self* self, const dref::id& id,
                                                     std::chrono::milliseconds wait,
                                                     std::function<void()> on_lost = {}) {
    return acquire_from(self, id, wait, std::move(on_lost));
  }
  // Like unlock(id, token): any actor or thread of this context may release
  // what the context holds under fencing_token; errc::not_holder otherwise.
  template <class Self>
  pending<void> unlock(Self* self, const dref::id& id, std::uint64_t fencing_token) {
    auto core = lock_core(id);
    auto* scheduled = detail::as_scheduled(self);
    return pending<void>{[core, scheduled, fencing_token](std::function<void(result<void>)> done) {
      core.release(scheduled, fencing_token, std::move(done));
    }};
  }
  // What the typed lock actor (actors/lock_actor.hpp) is built on.
  detail::lock_core lock_core(const dref::id& id) const { return {impl_, id.str()}; }

  // Joins the election `name` as `candidate` (a name unique among the
  // candidates; generated from this context when empty) and campaigns at
  // once, in the background. Returns once the candidacy is in line (at
  // most the request timeout), so candidates that join one after another
  // lead in that order. See election.hpp.
  election join_election(const dref::id& name, std::string candidate = {});
  // The election `name` seen from outside: its leader and what the leader
  // proclaimed, without joining (election.hpp).
  election_observer observe_election(const dref::id& name);

  // Every later call through this context's handles fails with
  // errc::shutting_down. Idempotent; the destructor calls it.
  void shutdown();
  // Stops like a crashed process would: no more renewals, nothing released;
  // the session lapses after its TTL and what it held passes on. For tests
  // and failover drills.
  void abandon();

private:
  friend struct detail::context_access; // detail/backend_of.hpp

  static void async_list(const std::shared_ptr<detail::context_impl>& impl,
                         caf::scheduled_actor* self, const std::string& prefix,
                         const std::string& after, std::uint64_t limit, detail::timeout_ms timeout,
                         std::function<void(result<protocol::list_page>)> done);

  result<subscription> watch_prefix_bytes(const std::string& prefix, detail::keyed_change_handler f,
                                          detail::timeout_ms timeout);
  static void async_watch_prefix(const std::shared_ptr<detail::context_impl>& impl,
                                 caf::scheduled_actor* self, const std::string& prefix,
                                 detail::keyed_change_handler f, detail::timeout_ms timeout,
                                 std::function<void(result<subscription>)> done);

  static void async_commit(const std::shared_ptr<detail::context_impl>& impl,
                           caf::scheduled_actor* self, const txn& t, detail::timeout_ms timeout,
                           std::function<void(result<txn_result>)> done);

  template <class Self>
  pending<std::optional<std::uint64_t>> acquire_from(Self* self, const dref::id& id,
                                                     std::optional<std::chrono::milliseconds> wait,
                                                     std::function<void()> on_lost) {
    auto core = lock_core(id);
    auto* scheduled = detail::as_scheduled(self);
    return pending<std::optional<std::uint64_t>>{
        [core, scheduled, wait,
         on_lost](std::function<void(result<std::optional<std::uint64_t>>)> done) {
          core.acquire(scheduled, detail::actor_owner(scheduled), wait, on_lost, std::move(done));
        }};
  }

  std::shared_ptr<detail::context_impl> impl_;
};

} // namespace dref
