#pragma once
// The members of dref::ref<T, Codec> that run named commands and queries
// (dref/commands.hpp has the contract), kept here so that ref.hpp holds the
// rest: answers decoded with the codec for their type, with the version the
// command left or the query read (versioned<R>).

#include "dref/commands.hpp"
#include "dref/detail/ref_core.hpp"
#include "dref/pending.hpp"
#include "dref/versioned.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>

namespace caf {
class scheduled_actor;
}

namespace dref::detail {

template <class V, class C>
result<V> typed_answer(const std::string& id, std::uint64_t version, std::string_view bytes) {
  auto answer = C::decode(bytes);
  if (!answer)
    return error{answer.error().code, "ref '" + id + "': " + answer.error().message};
  return V{std::move(*answer), version};
}

template <class V, class C>
result<V> run_command(const ref_core& core, std::string name, std::string arg, timeout_ms t) {
  auto ran = core.run(std::move(name), std::move(arg), t);
  if (!ran)
    return std::move(ran).error();
  return typed_answer<V, C>(core.id(), ran->version, ran->value);
}

template <class V, class C>
result<V> run_query(const ref_core& core, std::string name, std::string arg, bool stale,
                    timeout_ms t) {
  auto answered = core.query(std::move(name), std::move(arg), stale, t);
  if (!answered)
    return std::move(answered).error();
  return typed_answer<V, C>(core.id(), answered->version, answered->answer);
}

template <class V, class C>
pending<V> async_command(caf::scheduled_actor* self, ref_core core, std::string name,
                         std::string arg, timeout_ms t) {
  return pending<V>{[self, core, name, arg, t](std::function<void(result<V>)> done) {
    core.async_run(self, name, arg, t,
                   [done = std::move(done), id = core.id()](result<protocol::res_ran> ran) {
                     if (!ran)
                       return done(std::move(ran).error());
                     done(typed_answer<V, C>(id, ran->version, ran->value));
                   });
  }};
}

template <class V, class C>
pending<V> async_query(caf::scheduled_actor* self, ref_core core, std::string name, std::string arg,
                       bool stale, timeout_ms t) {
  return pending<V>{[self, core, name, arg, stale, t](std::function<void(result<V>)> done) {
    core.async_query(
        self, name, arg, stale, t,
        [done = std::move(done), id = core.id()](result<protocol::query_answer> answered) {
          if (!answered)
            return done(std::move(answered).error());
          done(typed_answer<V, C>(id, answered->version, answered->answer));
        });
  }};
}

// Ref: the ref<T, Codec> deriving from this, whose core() these use.
template <class Ref, class T, class Codec>
class named_calls {
public:
  // Runs a named command registered on every node (e.g. "add_i64", whose
  // args are an 8-byte little-endian delta), atomically on the stored value;
  // returns what it stored and the new version. Validators do not see it.
  result<versioned<T>> try_run(std::string command, std::string args,
                               timeout_ms timeout = {}) const {
    return run_command<versioned<T>, Codec>(core(), std::move(command), std::move(args), timeout);
  }

  // Named commands and queries of the user's own types: the answer R, and
  // the version the command left or the query read.
  template <class R, class A = no_arg>
  versioned<R> command(std::string name, const A& arg = {}) const {
    return try_command<R>(std::move(name), arg).value();
  }
  template <class R, class A = no_arg>
  result<versioned<R>> try_command(std::string name, const A& arg = {},
                                   timeout_ms timeout = {}) const {
    return run_command<versioned<R>, codec_of_t<Codec, R>>(
        core(), std::move(name), codec_of_t<Codec, A>::encode(arg), timeout);
  }
  // Linearizable: reflects every write acknowledged before it was asked.
  template <class R, class A = no_arg>
  versioned<R> query(std::string name, const A& arg = {}) const {
    return try_query<R>(std::move(name), arg).value();
  }
  template <class R, class A = no_arg>
  result<versioned<R>> try_query(std::string name, const A& arg = {},
                                 timeout_ms timeout = {}) const {
    return run_query<versioned<R>, codec_of_t<Codec, R>>(
        core(), std::move(name), codec_of_t<Codec, A>::encode(arg), false, timeout);
  }
  // From the replica this node reads from as it is, without a round with
  // the leader: cheaper, but it may miss recent writes, also this node's
  // own (raft: the member's applied state; memory and redis: as query).
  template <class R, class A = no_arg>
  versioned<R> stale_query(std::string name, const A& arg = {}) const {
    return try_stale_query<R>(std::move(name), arg).value();
  }
  template <class R, class A = no_arg>
  result<versioned<R>> try_stale_query(std::string name, const A& arg = {},
                                       timeout_ms timeout = {}) const {
    return run_query<versioned<R>, codec_of_t<Codec, R>>(
        core(), std::move(name), codec_of_t<Codec, A>::encode(arg), true, timeout);
  }

  // From actors (ref.hpp, "From an actor"). run: many may be in flight at
  // once (each is one proposal; the backend batches them into its log).
  template <class Self>
  pending<versioned<T>> run(Self* self, std::string command, std::string args,
                            timeout_ms timeout = {}) const {
    return async_command<versioned<T>, Codec>(as_scheduled(self), core(), std::move(command),
                                              std::move(args), timeout);
  }
  template <class R, class Self, class A = no_arg>
  requires std::is_class_v<Self> // not a name given as a string literal
      pending<versioned<R>> command(Self* self, std::string name, const A& arg = {},
                                    timeout_ms timeout = {})
  const {
    return async_command<versioned<R>, codec_of_t<Codec, R>>(
        as_scheduled(self), core(), std::move(name), codec_of_t<Codec, A>::encode(arg), timeout);
  }
  template <class R, class Self, class A = no_arg>
  requires std::is_class_v<Self> pending<versioned<R>>
  query(Self* self, std::string name, const A& arg = {}, timeout_ms timeout = {})
  const {
    return async_query<versioned<R>, codec_of_t<Codec, R>>(
        as_scheduled(self), core(), std::move(name), codec_of_t<Codec, A>::encode(arg), false,
        timeout);
  }
  template <class R, class Self, class A = no_arg>
  requires std::is_class_v<Self> pending<versioned<R>>
  stale_query(Self* self, std::string name, const A& arg = {}, timeout_ms timeout = {})
  const {
    return async_query<versioned<R>, codec_of_t<Codec, R>>(
        as_scheduled(self), core(), std::move(name), codec_of_t<Codec, A>::encode(arg), true,
        timeout);
  }

private:
  const ref_core& core() const { return static_cast<const Ref*>(this)->core(); }
};

} // namespace dref::detail
