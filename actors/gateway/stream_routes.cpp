// The WebSocket streams of a ref, of a prefix and of a topic (docs/http.md,
// "Streams").
// Both are opened before the upgrade is accepted, so that what cannot
// start (no quorum, a compacted seq) is an HTTP error, not a stream that
// closes at once.
#include "dref/protocol/caf/atoms.hpp"
#include "dref/protocol/caf/type_ids.hpp"
#include "dref/store/delta.hpp"
#include "outbox.hpp"
#include "router.hpp"
#include "value_json.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>

namespace dref::gateway {

namespace {

using nlohmann::json;
using protocol::event_kind;
using protocol::store_event;
using begin_atom = caf::atom_constant<caf::atom("wsbegin")>;

// The node's watcher for one ref stream: holds events until it is told the
// version the client has (begin), then turns each later one into a frame.
struct ref_forwarder_state {
  std::shared_ptr<outbox> box;
  std::string id;
  std::optional<std::uint64_t> after; // nullopt: not begun, events held
  std::vector<store_event> held;
  std::optional<std::string> seen; // the value as of the last frame, for deltas
  static inline const char* name = "dref.gateway.ref_stream";
};
using ref_forwarder = caf::stateful_actor<ref_forwarder_state>;

// The frame of one value change e, with seen the value before it (after it
// on return, for the next delta); nullopt for events that change no value
// (locks, topics, ... under the same id); an error when a delta has no base.
result<std::optional<json>> change_frame(const store_event& e, std::optional<std::string>& seen) {
  json frame{{"id", e.id}, {"version", e.new_version}, {"old_version", e.old_version}};
  switch (e.kind) {
    case event_kind::value_created:
      frame["type"] = "created";
      seen = e.payload;
      break;
    case event_kind::value_caught_up:
      frame["type"] = "caught_up";
      seen = e.payload;
      break;
    case event_kind::value_written: {
      frame["type"] = "written";
      const auto* old = e.old_value ? &*e.old_value : seen ? &*seen : nullptr;
      if (e.payload_type == protocol::payload_kind::delta) {
        auto rebuilt = old ? store::apply_delta(*old, e.payload, SIZE_MAX)
                           : result<std::string>{error{errc::internal, "no base value"}};
        if (!rebuilt)
          return error{errc::internal, "cannot rebuild version " + std::to_string(e.new_version) +
                                           ": " + rebuilt.error().message};
        seen = std::move(*rebuilt);
      } else {
        seen = e.payload;
      }
      break;
    }
    case event_kind::value_removed:
      frame["type"] = "removed";
      seen.reset();
      break;
    case event_kind::metadata_changed:
      frame["type"] = "metadata";
      break;
    default:
      return std::optional<json>{};
  }
  if (seen && (e.kind == event_kind::value_created || e.kind == event_kind::value_written ||
               e.kind == event_kind::value_caught_up))
    put_bytes(frame, "value", *seen);
  return std::optional<json>{std::move(frame)};
}

// Pushes the frame of e, if any; false once the stream is over (the client
// gone, or a frame that cannot be built: never a silent gap, the client
// reconnects and starts afresh).
bool push_change(outbox& box, const store_event& e, std::optional<std::string>& seen) {
  auto frame = change_frame(e, seen);
  if (!frame) {
    box.finish({1011, frame.error().message});
    return false;
  }
  if (*frame)
    box.push((*frame)->dump());
  return box.open();
}

void forward(ref_forwarder* self, const store_event& e) {
  auto& st = self->state;
  if (e.new_version <= *st.after)
    return;
  if (!push_change(*st.box, e, st.seen))
    self->quit();
}

caf::behavior ref_forwarder_behavior(ref_forwarder* self, std::shared_ptr<outbox> box,
                                     std::string id) {
  self->state.box = std::move(box);
  self->state.id = std::move(id);
  return {
      [self](const store_event& e) {
        if (!self->state.after)
          self->state.held.push_back(e);
        else
          forward(self, e);
      },
      [self](begin_atom, std::uint64_t after, bool has_value, const std::string& value) {
        auto& st = self->state;
        st.after = after;
        if (has_value)
          st.seen = value;
        for (const auto& e : std::exchange(st.held, {}))
          forward(self, e);
      },
  };
}

// The node's watcher for one prefix stream: each change of a value under
// the prefix after `after` (events held until begun). Write events carry
// the value they replaced, the base of a delta.
struct prefix_forwarder_state {
  std::shared_ptr<outbox> box;
  std::optional<std::uint64_t> after;
  std::vector<store_event> held;
  static inline const char* name = "dref.gateway.prefix_stream";
};
using prefix_forwarder = caf::stateful_actor<prefix_forwarder_state>;

caf::behavior prefix_forwarder_behavior(prefix_forwarder* self, std::shared_ptr<outbox> box) {
  self->state.box = std::move(box);
  auto forward_keyed = [self](const store_event& e) {
    if (e.new_version <= *self->state.after)
      return;
    std::optional<std::string> seen = e.old_value;
    if (!push_change(*self->state.box, e, seen))
      self->quit();
  };
  return {
      [self, forward_keyed](const store_event& e) {
        if (!self->state.after)
          self->state.held.push_back(e);
        else
          forward_keyed(e);
      },
      [self, forward_keyed](begin_atom, std::uint64_t after) {
        self->state.after = after;
        for (const auto& e : std::exchange(self->state.held, {}))
          forward_keyed(e);
      },
  };
}

// Ends the forwarder when the stream goes: the node drops a watcher that
// is down.
struct forwarder_guard {
  explicit forwarder_guard(caf::actor f)
      : forwarder(std::move(f)) {}
  forwarder_guard(const forwarder_guard&) = delete;
  forwarder_guard& operator=(const forwarder_guard&) = delete;
  ~forwarder_guard() { caf::anon_send_exit(forwarder, caf::exit_reason::user_shutdown); }
  caf::actor forwarder;
};

} // namespace

std::optional<reply> router::open_ref_stream(const std::string& id,
                                             std::optional<std::uint64_t> from,
                                             const std::shared_ptr<outbox>& box) {
  auto forwarder = sys_.spawn(ref_forwarder_behavior, box, id);
  box->hold(std::make_shared<forwarder_guard>(forwarder));
  caf::scoped_actor self{sys_, true};
  std::optional<error> failed;
  auto on_error = [&](caf::error& err) { failed = from_caf_error(err); };
  bool resumed = false;
  if (from) {
    // The member replays what it still keeps after `from`
    // (client_port.hpp); a client that was away longer starts afresh,
    // told so by a caught_up first frame.
    self->request(node_, request_timeout_, protocol::watch_atom::value, id, forwarder, *from)
        .receive([&](std::uint64_t) { resumed = true; }, on_error);
    if (resumed) {
      self->send(forwarder, begin_atom::value, *from, false, std::string{});
      return std::nullopt;
    }
    if (failed && failed->code != errc::compacted)
      return error_reply(*failed);
    failed.reset();
  }
  // Watch first, then read: every write after the read reaches the
  // watcher, and the forwarder skips those the read already shows.
  std::uint64_t start = 0;
  self->request(node_, request_timeout_, protocol::watch_atom::value, id, forwarder)
      .receive([&](std::uint64_t at) { start = at; }, on_error);
  if (failed)
    return error_reply(*failed);
  auto read = read_state<protocol::value_state>({protocol::read_kind::value, id, 0, 0}, false);
  if (!read && read.error().code != errc::not_found)
    return error_reply(read.error());
  std::optional<protocol::value_state> current;
  if (read)
    current = std::move(*read);
  json first{{"id", id}, {"type", from ? "caught_up" : current ? "value" : "absent"}};
  if (current) {
    first["version"] = current->version;
    put_bytes(first, "value", current->value);
  } else {
    first["version"] = start;
    if (from)
      first["type"] = "absent";
  }
  box->push(first.dump());
  auto after = current ? current->version : start;
  self->send(forwarder, begin_atom::value, after, current.has_value(),
             current ? current->value : std::string{});
  return std::nullopt;
}

std::optional<reply> router::open_prefix_stream(const std::string& prefix,
                                                std::optional<std::uint64_t> from,
                                                const std::shared_ptr<outbox>& box) {
  auto forwarder = sys_.spawn(prefix_forwarder_behavior, box);
  box->hold(std::make_shared<forwarder_guard>(forwarder));
  caf::scoped_actor self{sys_, true};
  std::optional<error> failed;
  auto on_error = [&](caf::error& err) { failed = from_caf_error(err); };
  auto key = prefix + "*";
  std::uint64_t start = 0;
  if (from) {
    // The member replays what it still keeps after `from`; a client away
    // longer lists the prefix again and watches from the listing.
    self->request(node_, request_timeout_, protocol::watch_atom::value, key, forwarder, *from)
        .receive([&](std::uint64_t) { start = *from; }, on_error);
    if (failed && failed->code == errc::compacted)
      return error_reply(410, "compacted",
                         "the changes after version " + std::to_string(*from) +
                             " are no longer kept here: watch without from, then list the "
                             "prefix");
  } else {
    self->request(node_, request_timeout_, protocol::watch_atom::value, key, forwarder)
        .receive([&](std::uint64_t at) { start = at; }, on_error);
  }
  if (failed)
    return error_reply(*failed);
  box->push(json{{"type", "start"}, {"prefix", prefix}, {"version", start}}.dump());
  self->send(forwarder, begin_atom::value, start);
  return std::nullopt;
}

std::optional<reply> router::open_topic_stream(const std::string& id,
                                               std::optional<std::uint64_t> from,
                                               const std::shared_ptr<outbox>& box) {
  auto topic = context_.make_topic<std::string, raw_codec>(manual_id(id));
  std::weak_ptr<outbox> weak = box;
  try {
    auto feed = std::make_shared<subscription>(
        topic.subscribe_from(from.value_or(0), [weak, id](std::uint64_t seq, const std::string& m) {
          auto to = weak.lock();
          if (!to)
            return;
          json frame{{"type", "message"}, {"id", id}, {"seq", seq}};
          put_bytes(frame, "message", m);
          to->push(frame.dump());
        }));
    box->hold(std::move(feed));
  } catch (const error_exception& ex) {
    return ex.error().code == errc::compacted ? topic_gone(id, ex.error())
                                              : error_reply(ex.error());
  }
  return std::nullopt;
}

} // namespace dref::gateway
