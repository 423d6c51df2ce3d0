#pragma once
// Named commands and queries of the user's own types: the replicated value
// is a T, and instead of shipping a new T (update, compare-and-set) a client
// names a command and sends its argument.
//
//   struct job_queue { std::deque<int> items; template <class A> void serialize(A& a) { a(items); }
//   }; dref::commands()
//     .command<job_queue>("enqueue", "1", [](job_queue& q, const int& v) {
//       q.items.push_back(v);
//       return q.items.size() - 1; // the length before
//     })
//     .query<job_queue>("length", "1", [](const job_queue& q, const dref::no_arg&) {
//       return q.items.size();
//     });
//   ... start backends and contexts, then:
//   auto q = ctx.make<job_queue>({}, dref::manual_id("jobs"));
//   dref::versioned<std::size_t> before = q.command<std::size_t>("enqueue", 5);
//   std::size_t length = q.query<std::size_t>("length").value;
//
// The contract:
// - A command runs once, inside the state machine at its log position, on
//   every replica: f(state, arg) changes the state and returns its answer R;
//   the caller gets R and the value's version after it. A command that
//   leaves the state as it was writes nothing (no new version, no change
//   event); one that changes it is an ordinary write (watchers see it).
//   Retries under the same client id and sequence take effect at most once,
//   as every proposal. Commands never conflict: no read, no compare-and-set.
// - A query runs on the value where it is, read-only and linearizable (a
//   read, no log entry), and answers R with the version it read.
// - Arguments and answers travel with the ref's codec (binary_codec<T>:
//   binary_codec<Arg>, binary_codec<R>; codec_of below), so registration
//   and calls must name the same codec, and a call's argument must have the
//   registered type: r.command<R, Arg>(name, 6) where a literal would
//   deduce another (int for an int64_t argument fails with wrong_type).
// - Determinism is the registrar's duty: f depends only on state and arg
//   (no clock, randomness, I/O or globals). Register the same commands,
//   under the same names and versions, in every program of a cluster
//   before starting its backends: members compare the names and versions
//   when they connect and refuse a member whose set differs (naming the
//   difference). Bump the version string whenever f's behaviour changes.
// - Errors, each leaving the value as it was on every replica:
//   unknown_command (not registered on the member), not_found (no value at
//   the id: make it first), wrong_type (the stored bytes or the argument do
//   not decode), command_failed (f threw; the exception's text is in the
//   message; a throwing f must throw for that state and argument on every
//   replica, which a deterministic f does).
// - A stale query (r.stale_query) answers from the replica the node reads
//   from as it is, without a round with the leader: cheaper, maybe behind.
// - Backends: memory and raft members run them in their state machines,
//   also dref-node daemons, which load them from plugins (dref/plugin.hpp).
//   Redis runs them in each node's backend, on the value it read, and
//   writes the outcome only while the value is unchanged (a read and a
//   write per command, again under contention: redis/named_runs.hpp).
// - From actors of other processes: ref_actor.hpp's command and query
//   messages.
//
// Blocking calls throw error_exception at this API's edge (registration
// refused: a name registered already, an empty name or version).

#include "dref/codec.hpp"
#include "dref/protocol/result.hpp"
#include "dref/store/named_commands.hpp"

#include <memory>
#include <string>
#include <type_traits>
#include <utility>

namespace dref {

// The argument of a query or command that needs none.
struct no_arg {
  template <class A>
  void serialize(A&) {}
  friend bool operator==(const no_arg&, const no_arg&) = default;
};

// A ref's codec for another type: Codec<T> encodes U as Codec<U>; a codec
// that is not a template (raw_codec) encodes U itself.
template <class C, class U>
struct codec_of {
  using type = C;
};
template <template <class> class Codec, class T, class U>
struct codec_of<Codec<T>, U> {
  using type = Codec<U>;
};
template <class C, class U>
using codec_of_t = typename codec_of<C, U>::type;

namespace detail {

// The argument and answer types of f(state, arg).
template <class F>
struct command_signature : command_signature<decltype(&F::operator())> {};
template <class R, class C, class S, class A>
struct command_signature<R (C::*)(S, A) const> {
  using arg = std::decay_t<A>;
  using answer = std::remove_cvref_t<R>;
};
template <class R, class C, class S, class A>
struct command_signature<R (C::*)(S, A)> : command_signature<R (C::*)(S, A) const> {};
template <class R, class S, class A>
struct command_signature<R (*)(S, A)> {
  using arg = std::decay_t<A>;
  using answer = std::remove_cvref_t<R>;
};

// What a command or query f runs on, decoded: the state (codec C) and the
// argument (f's type, with C's codec for it).
template <class T, class C, class F>
struct command_inputs {
  using sig = command_signature<F>;
  using answer_codec = codec_of_t<C, typename sig::answer>;
  static_assert(!std::is_void_v<typename sig::answer>, "a command or query answers something");
  T state;
  typename sig::arg arg;

  static result<command_inputs> decode(const std::optional<std::string_view>& current,
                                       std::string_view args) {
    if (!current)
      return error{errc::not_found, "there is no value to run it on (make it first)"};
    auto state = C::decode(*current);
    if (!state)
      return std::move(state).error();
    auto arg = codec_of_t<C, typename sig::arg>::decode(args);
    if (!arg)
      return error{errc::wrong_type, "its argument does not decode: " + arg.error().message};
    return command_inputs{std::move(*state), std::move(*arg)};
  }
};

} // namespace detail

// Where typed commands and queries are registered: this program's
// (commands()), or a plugin host's.
class command_registrar {
public:
  virtual ~command_registrar() = default;
  virtual result<void> add_command(std::string name, std::string version,
                                   store::named_command command) = 0;
  virtual result<void> add_query(std::string name, std::string version,
                                 store::named_query query) = 0;

  // f(T& state, const Arg& arg) -> R.
  template <class T, class C = binary_codec<T>, class F>
  command_registrar& command(std::string name, std::string version, F f) {
    using inputs = detail::command_inputs<T, C, F>;
    store::named_command run =
        [f = std::move(f)](const std::optional<std::string_view>& current,
                           std::string_view args) -> result<store::command_outcome> {
      auto in = inputs::decode(current, args);
      if (!in)
        return std::move(in).error();
      store::command_outcome out;
      out.answer = inputs::answer_codec::encode(f(in->state, in->arg));
      if (auto after = C::encode(in->state); after != *current)
        out.value = std::move(after);
      return out;
    };
    if (auto ok = add_command(std::move(name), std::move(version), std::move(run)); !ok)
      throw error_exception(ok.error());
    return *this;
  }

  // f(const T& state, const Arg& arg) -> R.
  template <class T, class C = binary_codec<T>, class F>
  command_registrar& query(std::string name, std::string version, F f) {
    using inputs = detail::command_inputs<T, C, F>;
    store::named_query run = [f = std::move(f)](const std::optional<std::string_view>& current,
                                                std::string_view args) -> result<std::string> {
      auto in = inputs::decode(current, args);
      if (!in)
        return std::move(in).error();
      return inputs::answer_codec::encode(f(std::as_const(in->state), in->arg));
    };
    if (auto ok = add_query(std::move(name), std::move(version), std::move(run)); !ok)
      throw error_exception(ok.error());
    return *this;
  }
};

// This program's commands and queries (with the built-ins): backends
// started after a registration run it; those started before do not.
command_registrar& commands();
std::shared_ptr<const store::command_registry> registered_commands();

} // namespace dref
