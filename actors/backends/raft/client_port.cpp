#include "client_port.hpp"

#include "dref/backends/seam/old_values.hpp"
#include "dref/backends/seam/watch_key.hpp"
#include "dref/net/transport.hpp"
#include "dref/protocol/admin.hpp"
#include "dref/protocol/caf/atoms.hpp"
#include "dref/protocol/caf/bridge.hpp"
#include "dref/protocol/caf/type_ids.hpp"
#include "dref/protocol/handshake.hpp"
#include "dref/protocol/store_batches.hpp"
#include "dref/protocol/store_commands.hpp"
#include "dref/protocol/store_reads.hpp"
#include "dref/protocol/store_results.hpp"
#include "dref/store/input_checks.hpp"

#include <algorithm>
#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <map>
#include <optional>

namespace dref::raft::node {
namespace {

using clock_type = std::chrono::steady_clock;
using call_atom = caf::atom_constant<caf::atom("cpcall")>;
using reply_atom = caf::atom_constant<caf::atom("cpreply")>;
using gateway_atom = caf::atom_constant<caf::atom("cpgateway")>;
using sweep_atom = caf::atom_constant<caf::atom("cpsweep")>;
using node_gone_atom = caf::atom_constant<caf::atom("cpnodegone")>;
using hold_atom = caf::atom_constant<caf::atom("cphold")>;
using release_atom = caf::atom_constant<caf::atom("cprelease")>;

constexpr std::chrono::milliseconds sweep_interval{500};

// --- the node's side: asks the node, answers under the call's number

struct bridge_state {
  caf::actor node;
  caf::actor gateway;
  std::chrono::milliseconds timeout{};
  static inline const char* name = "dref.client_port.bridge";
};
using bridge_actor = caf::stateful_actor<bridge_state>;

template <class Reply, class... Args>
void ask_node(bridge_actor* self, std::uint64_t call, Args&&... args) {
  auto gateway = self->state.gateway;
  self->request(self->state.node, self->state.timeout, std::forward<Args>(args)...)
      .then(
          [gateway, call](Reply& reply) {
            caf::anon_send(gateway, reply_atom::value, call, std::move(reply));
          },
          [gateway, call](caf::error& err) {
            caf::anon_send(gateway, reply_atom::value, call, std::move(err));
          });
}

caf::behavior bridge(bridge_actor* self, caf::actor node, std::chrono::milliseconds timeout) {
  self->state.node = std::move(node);
  self->state.timeout = timeout;
  // Monitored, not linked: a link would stop the node with the bridge.
  self->monitor(self->state.node);
  self->set_down_handler([self](const caf::down_msg&) { self->quit(); });
  using namespace protocol;
  return {
      [self](gateway_atom, caf::actor& gateway) { self->state.gateway = std::move(gateway); },
      [self](call_atom, std::uint64_t call, propose_atom, store_proposal& p) {
        ask_node<store_reply>(self, call, propose_atom::value, std::move(p));
      },
      [self](call_atom, std::uint64_t call, read_atom, store_read& r) {
        ask_node<store_read_reply>(self, call, read_atom::value, std::move(r));
      },
      [self](call_atom, std::uint64_t call, read_atom, local_atom, store_read& r) {
        ask_node<store_read_reply>(self, call, read_atom::value, local_atom::value, std::move(r));
      },
      [self](call_atom, std::uint64_t call, propose_atom, proposal_batch& b) {
        ask_node<proposal_batch_reply>(self, call, propose_atom::value, std::move(b));
      },
      [self](call_atom, std::uint64_t call, read_atom, read_batch& b) {
        ask_node<read_batch_reply>(self, call, read_atom::value, std::move(b));
      },
      [self](call_atom, std::uint64_t call, watch_atom, std::string& id, caf::actor& relay) {
        ask_node<std::uint64_t>(self, call, watch_atom::value, std::move(id), std::move(relay));
      },
      [self](call_atom, std::uint64_t call, watch_atom, std::string& id, caf::actor& relay,
             std::uint64_t after) {
        ask_node<std::uint64_t>(self, call, watch_atom::value, std::move(id), std::move(relay),
                                after);
      },
      [self](call_atom, std::uint64_t call, status_atom) {
        ask_node<node_status>(self, call, status_atom::value);
      },
      [self](call_atom, std::uint64_t call, status_atom, digest_atom) {
        ask_node<node_status>(self, call, status_atom::value, digest_atom::value);
      },
  };
}

// The watcher the node sees: passes each event to its twin on the port's
// side. It ends with the node, so that the node's actor system never waits
// for it (monitored, not linked: a link would stop the node with it).
caf::behavior far_relay(caf::event_based_actor* self, caf::actor node, caf::actor near) {
  self->monitor(node);
  self->set_down_handler([self](const caf::down_msg&) { self->quit(); });
  return {
      [near](protocol::store_event& e) { caf::anon_send(near, std::move(e)); },
  };
}

// Passes each event on to the client's watcher while it lives, as sent by
// the gateway: a client takes events only from the member it watches at
// (watch_relay.hpp), and to the client the gateway is that member. The
// node sends a watch's answer and its events by two ways (bridge, relays),
// so the events of an id wait here from the gateway's hold until it has
// delivered the answer (release): a client drops events that come before
// the answer to its watch. Old values the watcher holds already are left
// out of its events (old_values.hpp).
struct near_state {
  std::map<std::string, std::vector<protocol::store_event>> held; // by watch key
  backend::unsent_old_values old_values;
  static inline const char* name = "dref.client_port.near_relay";
};
using near_actor = caf::stateful_actor<near_state>;

caf::behavior near_relay(near_actor* self, caf::actor watcher, caf::actor gateway) {
  self->monitor(watcher);
  self->set_down_handler([self](const caf::down_msg&) { self->quit(); });
  auto send_on = [self, watcher, gateway](protocol::store_event& e) {
    self->state.old_values.thin(e);
    caf::send_as(gateway, watcher, std::move(e));
  };
  return {
      [self, send_on](protocol::store_event& e) {
        auto& held = self->state.held;
        auto it = std::find_if(held.begin(), held.end(), [&](const auto& entry) {
          return backend::key_covers(entry.first, e.id);
        });
        if (it != held.end())
          it->second.push_back(std::move(e));
        else
          send_on(e);
      },
      [self](hold_atom, const std::string& id) {
        self->state.held.try_emplace(id);
        self->state.old_values.restart(id); // a new watch of id at this member
      },
      [self, send_on](release_atom, const std::string& id) {
        auto it = self->state.held.find(id);
        if (it == self->state.held.end())
          return;
        for (auto& e : it->second)
          send_on(e);
        self->state.held.erase(it);
      },
  };
}

// --- the port's side: what clients reach

struct pending_call {
  caf::response_promise promise;
  clock_type::time_point deadline;
  std::size_t items = 1; // a batch's: its size
  // A watch's: the relay holding the id's events until the answer is out.
  caf::actor release_to;
  std::string id;
};

struct relay_pair {
  caf::actor near; // on this side, sends to the client's watcher
  caf::actor far;  // on the node's side, the watcher the node knows
};

struct gateway_state {
  caf::actor node;
  caf::actor bridge;
  caf::actor_system* node_system = nullptr;
  client_port_options options;
  // Once the node stopped, its actor system may be going: nothing more is
  // sent or spawned there.
  bool node_gone = false;
  std::uint64_t next_call = 0;
  // By number; every call waits as long, so the oldest come first.
  std::map<std::uint64_t, pending_call> calls;
  std::size_t waiting_items = 0;                // the calls' requests, a batch's counted each
  std::map<caf::actor_addr, relay_pair> relays; // by the client's watcher
  static inline const char* name = "dref.client_port.gateway";
};
using gateway_actor = caf::stateful_actor<gateway_state>;

caf::error refusal(errc code, std::string message) {
  return to_caf_error(error{code, std::move(message)});
}

// A call of `items` requests (a batch's size, else 1).
template <class... Args>
caf::response_promise start_call_of(gateway_actor* self, std::size_t items, Args&&... args) {
  auto promise = self->make_response_promise();
  auto& st = self->state;
  if (st.node_gone) {
    promise.deliver(refusal(errc::unavailable, "this member has stopped"));
    return promise;
  }
  if (st.waiting_items + items > st.options.max_calls) {
    promise.deliver(refusal(errc::limit_exceeded, "this member already has " +
                                                      std::to_string(st.waiting_items) +
                                                      " client requests waiting; try again later"));
    return promise;
  }
  auto call = ++st.next_call;
  st.calls.emplace(
      call, pending_call{promise, clock_type::now() + st.options.call_timeout, items, {}, {}});
  st.waiting_items += items;
  caf::anon_send(st.bridge, call_atom::value, call, std::forward<Args>(args)...);
  return promise;
}

template <class... Args>
caf::response_promise start_call(gateway_actor* self, Args&&... args) {
  return start_call_of(self, 1, std::forward<Args>(args)...);
}

// A batch: from 1 to protocol::max_batch_items requests.
template <class Atom, class Batch>
caf::response_promise start_batch(gateway_actor* self, Atom atom, Batch& batch, std::size_t items) {
  if (auto refused = protocol::refuse_batch_size(items)) {
    auto promise = self->make_response_promise();
    promise.deliver(to_caf_error(*refused));
    return promise;
  }
  return start_call_of(self, items, atom, std::move(batch));
}

// A call is over: answered, expired or dropped.
void forget_call(gateway_actor* self, std::map<std::uint64_t, pending_call>::iterator it) {
  self->state.waiting_items -= it->second.items;
  self->state.calls.erase(it);
}

void release_held(gateway_actor* self, const pending_call& pending) {
  if (pending.release_to)
    self->send(pending.release_to, release_atom::value, pending.id);
}

template <class Reply>
void finish_call(gateway_actor* self, std::uint64_t call, Reply&& reply) {
  auto it = self->state.calls.find(call);
  if (it == self->state.calls.end())
    return; // expired already
  it->second.promise.deliver(std::forward<Reply>(reply));
  release_held(self, it->second);
  forget_call(self, it);
}

void sweep(gateway_actor* self) {
  auto now = clock_type::now();
  auto& calls = self->state.calls;
  while (!calls.empty() && calls.begin()->second.deadline <= now) {
    calls.begin()->second.promise.deliver(
        refusal(errc::timeout, "the member did not answer in time; the outcome is unknown"));
    release_held(self, calls.begin()->second);
    forget_call(self, calls.begin());
  }
}

// A client's watch key (watch_key.hpp): one id, or a prefix of ids
// ("ks/*"), well formed. "*" (every id) would show a client every write of
// everyone.
std::optional<caf::error> check_watch_id(const std::string& id, const store::limits& limits) {
  if (id == "*")
    return refusal(errc::permission_denied, "a watch of every id (\"*\") is not open to "
                                            "clients; watch a prefix (\"P*\") or one id");
  auto ok = backend::is_prefix_key(id) ? backend::check_watch_prefix(backend::prefix_of(id), limits)
                                       : store::check_id(id, limits, "watch id");
  if (!ok)
    return to_caf_error(ok.error());
  return std::nullopt;
}

// The pair of relays for a client's watcher, made on its first watch.
std::optional<relay_pair> relays_for(gateway_actor* self, const caf::actor& watcher) {
  auto& st = self->state;
  if (auto it = st.relays.find(watcher.address()); it != st.relays.end())
    return it->second;
  if (st.relays.size() >= st.options.max_watchers)
    return std::nullopt;
  auto near = self->spawn<caf::linked>(near_relay, watcher, caf::actor_cast<caf::actor>(self));
  auto far = st.node_system->spawn(far_relay, st.node, near);
  // Whichever way the near one ends (the watcher gone, the port closing),
  // the node's watcher ends with it and the node forgets it.
  caf::actor_cast<caf::abstract_actor*>(near)->attach_functor(
      [far] { caf::anon_send_exit(far, caf::exit_reason::user_shutdown); });
  self->monitor(near);
  relay_pair pair{near, far};
  st.relays.emplace(watcher.address(), pair);
  return pair;
}

template <class... After>
caf::response_promise start_watch(gateway_actor* self, const std::string& id,
                                  const caf::actor& watcher, After... after) {
  auto refuse = [self](caf::error err) {
    auto promise = self->make_response_promise();
    promise.deliver(std::move(err));
    return promise;
  };
  if (!watcher)
    return refuse(refusal(errc::invalid_argument, "a watch needs a watcher"));
  if (auto bad = check_watch_id(id, self->state.options.limits))
    return refuse(std::move(*bad));
  if (self->state.node_gone)
    return refuse(refusal(errc::unavailable, "this member has stopped"));
  auto pair = relays_for(self, watcher);
  if (!pair)
    return refuse(refusal(errc::limit_exceeded, "this member already serves " +
                                                    std::to_string(self->state.relays.size()) +
                                                    " watchers"));
  self->send(pair->near, hold_atom::value, id);
  auto numbered = self->state.next_call;
  auto promise = start_call(self, protocol::watch_atom::value, id, pair->far, after...);
  if (self->state.next_call != numbered) {
    auto& pending = self->state.calls.at(self->state.next_call);
    pending.release_to = pair->near;
    pending.id = id;
  } else {
    self->send(pair->near, release_atom::value, id); // refused before it started
  }
  return promise;
}

caf::behavior gateway(gateway_actor* self, caf::actor node, caf::actor bridge,
                      client_port_options options) {
  auto& st = self->state;
  st.node_system = &caf::actor_cast<caf::abstract_actor*>(node)->home_system();
  st.node = std::move(node);
  st.bridge = std::move(bridge);
  st.options = std::move(options);
  // Anything else a stranger sends is dropped (a request among it fails
  // with unexpected_message), never printed: stderr is not theirs to fill.
  self->set_default_handler(caf::drop);
  self->set_down_handler([self](const caf::down_msg& down) {
    auto& relays = self->state.relays;
    for (auto it = relays.begin(); it != relays.end(); ++it)
      if (it->second.near.address() == down.source) {
        relays.erase(it);
        return;
      }
  });
  self->delayed_send(self, sweep_interval, sweep_atom::value);
  using namespace protocol;
  const std::string admin_only = "membership changes and leadership transfers are taken on a "
                                 "member's member port (its client port + 1), from a member's "
                                 "or an operator's certificate, not on a client port";
  return {
      [self](propose_atom, store_proposal& p) {
        return start_call(self, propose_atom::value, std::move(p));
      },
      [self](read_atom, store_read& r) { return start_call(self, read_atom::value, std::move(r)); },
      [self](propose_atom, proposal_batch& b) {
        return start_batch(self, propose_atom::value, b, b.proposals.size());
      },
      [self](read_atom, read_batch& b) {
        return start_batch(self, read_atom::value, b, b.reads.size());
      },
      // From this member's state as applied, without asking the leader: may be
      // behind, never ahead of what this member's watches have sent.
      [self](read_atom, local_atom, store_read& r) {
        return start_call(self, read_atom::value, local_atom::value, std::move(r));
      },
      [self](watch_atom, const std::string& id, const caf::actor& watcher) {
        return start_watch(self, id, watcher);
      },
      [self](watch_atom, const std::string& id, const caf::actor& watcher, std::uint64_t after) {
        return start_watch(self, id, watcher, after);
      },
      [self](unwatch_atom, const std::string& id, const caf::actor& watcher) {
        auto it = self->state.relays.find(watcher.address());
        if (it != self->state.relays.end() && !self->state.node_gone)
          caf::anon_send(self->state.node, unwatch_atom::value, id, it->second.far);
      },
      [self](status_atom) { return start_call(self, status_atom::value); },
      [self](status_atom, digest_atom) {
        return start_call(self, status_atom::value, digest_atom::value);
      },
      [admin_only](const member_change&) {
        return admin_reply{error{errc::permission_denied, admin_only}};
      },
      [admin_only](const leader_transfer&) {
        return admin_reply{error{errc::permission_denied, admin_only}};
      },
      [](const hello&) {
        return hello_reply{{},
                           error{errc::permission_denied,
                                 "this is a client port; members greet each other on the "
                                 "member port (client port + 1)"}};
      },
      [self](reply_atom, std::uint64_t call, store_reply& r) {
        finish_call(self, call, std::move(r));
      },
      [self](reply_atom, std::uint64_t call, store_read_reply& r) {
        finish_call(self, call, std::move(r));
      },
      [self](reply_atom, std::uint64_t call, proposal_batch_reply& r) {
        finish_call(self, call, std::move(r));
      },
      [self](reply_atom, std::uint64_t call, read_batch_reply& r) {
        finish_call(self, call, std::move(r));
      },
      [self](reply_atom, std::uint64_t call, std::uint64_t start) {
        finish_call(self, call, start);
      },
      [self](reply_atom, std::uint64_t call, node_status& s) {
        finish_call(self, call, std::move(s));
      },
      [self](reply_atom, std::uint64_t call, caf::error& err) {
        finish_call(self, call, std::move(err));
      },
      [self](node_gone_atom) {
        auto& state = self->state;
        state.node_gone = true;
        for (auto& [call, pending] : state.calls)
          pending.promise.deliver(refusal(errc::unavailable, "this member has stopped"));
        state.calls.clear();
        state.waiting_items = 0;
      },
      [self](sweep_atom) {
        sweep(self);
        self->delayed_send(self, sweep_interval, sweep_atom::value);
      },
  };
}

} // namespace

struct client_port::system_holder {
  caf::actor_system_config config;
  std::optional<caf::actor_system> system;
};

result<std::shared_ptr<client_port>> client_port::open(caf::actor node,
                                                       client_port_options options) {
  std::shared_ptr<client_port> out{new client_port};
  out->system_ = std::make_unique<system_holder>();
  auto& holder = *out->system_;
  protocol::register_with(holder.config);
  try {
    net::configure(holder.config, options.tls, options.heartbeat, options.network);
  } catch (const error_exception& e) {
    return e.error();
  }
  holder.system.emplace(holder.config);
  auto& node_system = caf::actor_cast<caf::abstract_actor*>(node)->home_system();
  out->bridge_ = node_system.spawn(bridge, node, options.call_timeout);
  auto host = options.host;
  auto port = options.port;
  out->gateway_ = holder.system->spawn(gateway, node, out->bridge_, std::move(options));
  caf::anon_send(out->bridge_, gateway_atom::value, out->gateway_);
  caf::actor_cast<caf::abstract_actor*>(node)->attach_functor(
      [gateway = out->gateway_] { caf::anon_send(gateway, node_gone_atom::value); });
  auto published =
      net::publish(*holder.system, out->gateway_, port, host, true, net::plane::clients);
  if (!published)
    return error{errc::io_failed, "cannot listen for clients on " + host + ":" +
                                      std::to_string(port) + ": " +
                                      holder.system->render(published.error())};
  out->port_ = *published;
  return out;
}

client_port::~client_port() {
  caf::anon_send_exit(gateway_, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(bridge_, caf::exit_reason::user_shutdown);
  gateway_ = nullptr;
  bridge_ = nullptr;
  system_.reset(); // waits for the gateway and its relays
}

} // namespace dref::raft::node
