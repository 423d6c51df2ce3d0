#pragma once
// Named commands and queries through a ref, typed: the answer decoded with
// the codec C, with the version it came at, as V (versioned<R>). The
// contract is in dref/commands.hpp; ref.hpp has the members that call these.

#include "dref/detail/ref_core.hpp"
#include "dref/pending.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace caf {
class scheduled_actor;
}

namespace dref::detail {

template <class V, class C>
result<V> typed_answer(const std::string& id, std::uint64_t version, std::string_view bytes) {
  auto answer = C::decode(bytes);
  if (!answer)
    return error{answer.error().code,
                 "ref '" + id + "': the answer does not decode: " + answer.error().message};
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
result<V> run_query(const ref_core& core, std::string name, std::string arg, timeout_ms t) {
  auto answered = core.query(std::move(name), std::move(arg), t);
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
                       timeout_ms t) {
  return pending<V>{[self, core, name, arg, t](std::function<void(result<V>)> done) {
    core.async_query(
        self, name, arg, t,
        [done = std::move(done), id = core.id()](result<protocol::query_answer> answered) {
          if (!answered)
            return done(std::move(answered).error());
          done(typed_answer<V, C>(id, answered->version, answered->answer));
        });
  }};
}

} // namespace dref::detail
