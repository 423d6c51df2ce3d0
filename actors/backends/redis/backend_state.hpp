#pragma once
// The redis backend actor's state and the calls its parts share: the
// actor itself (redis_backend.cpp: the seam, watches and change events) and
// the writes it computes before the script writes them
// (computed_writes.cpp: patches, named commands). Private to this folder.

#include "dref/backends/redis/redis_backend.hpp"
#include "dref/backends/seam/watchers.hpp"
#include "dref/protocol/caf/bridge.hpp"
#include "dref/protocol/caf/type_ids.hpp"
#include "dref/protocol/store_commands.hpp"
#include "dref/protocol/store_reads.hpp"
#include "dref/protocol/store_results.hpp"
#include "redis/client.hpp"
#include "redis/script.hpp"
#include "redis/store_replies.hpp"
#include "redis/store_script.hpp"

#include <caf/actor_clock.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dref::backend::redis_impl {

struct redis_state;
using redis_actor = caf::stateful_actor<redis_state>;

// Work for the backend actor, handed over from a client's I/O thread (or
// from a timer), so that all state is touched in the actor only.
struct redis_post {
  std::function<void(redis_actor*)> run;
};

} // namespace dref::backend::redis_impl

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dref::backend::redis_impl::redis_post)

namespace dref::backend::redis_impl {

using clock_type = caf::actor_clock::clock_type;
using reply_promise = caf::typed_response_promise<protocol::store_reply>;
using protocol::tick_atom;
constexpr std::chrono::milliseconds retry_pause{50};

struct redis_state {
  redis_options options;
  redis::store_keys keys;
  std::unique_ptr<redis::client> commands;
  std::unique_ptr<redis::function_caller> store; // on commands
  std::unique_ptr<redis::client> events;         // XREAD BLOCK only: it holds its connection
  raft::node::watcher_set watchers;
  // Where the event reader resumes; unknown until the first answer, and
  // watches are answered only once it is known (so no later event is
  // missed).
  bool cursor_known = false;
  std::string cursor;
  redis::stream_id cursor_position; // cursor, parsed
  std::uint64_t last_number = 0;    // the q of the last event read; 0: none yet
  // Watches wait here until the reader passed the newest event there was
  // when they were asked for: they then get exactly what came after.
  // Each is here from its request on, so that an unwatch or the watcher's
  // end finds it also before its starting point is known.
  struct pending_watch {
    std::uint64_t ticket = 0;
    std::string id;
    caf::actor watcher;
    caf::typed_response_promise<std::uint64_t> promise;
    std::optional<redis::stream_id> after; // once known
    std::uint64_t start = 0;               // the revision it starts after, with `after`
  };
  std::vector<pending_watch> pending_watches;
  std::uint64_t next_ticket = 0;
  // The newest message seen of each topic, where a catch-up resumes.
  std::map<std::string, std::uint64_t, std::less<>> topic_seen;
  static inline const char* name = "dref.redis_backend";
};

clock_type::time_point now(redis_actor* self);
// run, in the actor after a short pause.
void post_later(redis_actor* self, std::function<void(redis_actor*)> run);

// A plain Redis command, or the store's function for a command or a read
// (reads go as FCALL_RO: replicas and a server at maxmemory serve them).
enum class call_kind { plain, store_command, store_read };

// Runs on_answer in the actor with the answer to argv: a plain command on
// c, or the store's function (always on the commands connection) with argv
// as its arguments.
using on_answer_fn = std::function<void(redis_actor*, result<redis::reply>)>;
void submit(redis_actor* self, redis::client& c, std::vector<std::string> argv, call_kind kind,
            on_answer_fn on_answer);

// Not sent (connection down), a Redis that is still loading its data, or
// (when a repeat is harmless) sent with the answer lost.
bool worth_retrying(const result<redis::reply>& got, bool repeat_safe);
// Whether sending proposal again is harmless: a numbered one is answered
// from the script's cache when repeated; expire_due changes nothing twice.
bool repeat_safe(const protocol::store_proposal& proposal);

using read_done = std::function<void(redis_actor*, protocol::store_read_reply)>;
// A read, sent again after a pause while worth it, until give_up.
void run_read(redis_actor* self, protocol::store_read request, read_done done,
              clock_type::time_point give_up);
// A proposal, sent again under its client id and sequence while worth it.
void run_proposal(redis_actor* self, protocol::store_proposal proposal, reply_promise promise,
                  clock_type::time_point give_up);

// The writes computed here (computed_writes.cpp): runs proposal and answers
// true when its write is one (a patch, a named command the script does not
// run); false: proposal goes to the script as it is.
bool run_computed(redis_actor* self, protocol::store_proposal& proposal, reply_promise& promise,
                  clock_type::time_point give_up);

} // namespace dref::backend::redis_impl
