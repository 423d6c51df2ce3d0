#include "dref/backends/cluster/cluster_client.hpp"

#include "dref/net/transport.hpp"
#include "dref/protocol/admin.hpp"
#include "dref/protocol/caf/bridge.hpp"
#include "dref/protocol/caf/type_ids.hpp"
#include "dref/protocol/store_batches.hpp"
#include "dref/requests/request_deadlines.hpp"
#include "dref/requests/request_from.hpp"
#include "endpoint_rotation.hpp"
#include "watch_relay.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/atom.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>

namespace dref::backend {
namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
using detail::request_deadlines;
using detail::request_timed;
using protocol::store_proposal;
using protocol::store_read;
using protocol::store_read_reply;
using protocol::store_reply;

using reconnect_atom = caf::atom_constant<caf::atom("reconnect")>;
using probe_atom = caf::atom_constant<caf::atom("probe")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;

// How often waiting requests are checked against their budget (and those
// that a member answered with "no leader" are sent again).
constexpr std::chrono::milliseconds budget_check{100};
// How late a timeout of a proposal or read may come.
constexpr std::chrono::milliseconds deadline_granularity{20};

struct client_state;
using client_actor = caf::stateful_actor<client_state>;

// One request from a context, tried member after member until it gets an
// answer, fails for a reason no other member would change, or runs out of
// budget.
struct job;
using job_ptr = std::shared_ptr<job>;
struct job {
  clock_type::time_point deadline;
  // Sends the request by way of a member; reports the outcome.
  std::function<void(client_actor*, job_ptr, const caf::actor& member, std::uint64_t epoch,
                     std::chrono::milliseconds timeout)>
      attempt;
  std::function<void(caf::error)> fail;
  bool retryable = true;
  int answered_unavailable = 0; // in a row, by the member in use
  // Grows with every attempt: the outcome of an attempt that was given up
  // (its member left while it was in flight) is ignored.
  std::uint64_t attempt_no = 0;
};

template <class Reply>
using on_answer = std::function<void(Reply&)>;
using on_failure = std::function<void(caf::error&)>;

// An attempt waiting in the outbox for the next batch to its member.
template <class Item, class Reply>
struct outgoing {
  Item item;
  std::uint64_t epoch; // of the member it is for
  std::chrono::milliseconds timeout;
  on_answer<Reply> answered;
  on_failure failed;
};

struct client_state {
  cluster_client_options options;
  std::unique_ptr<endpoint_rotation> rotation;
  caf::actor member; // the member in use, if any
  std::size_t member_index = 0;
  std::uint64_t epoch = 0; // grows with every connection made
  bool connecting = false;
  std::deque<job_ptr> waiting; // for a connection
  std::set<job_ptr> in_flight; // sent to the member in use
  std::string last_failure;    // why the last member was left, for errors
  clock_type::time_point last_answer{};
  bool probe_in_flight = false;
  std::map<std::pair<std::string, caf::actor_addr>, caf::actor> relays;
  // Proposals and reads that came in since the last flush: sent as one
  // batch each when the flush this actor sent itself comes round, so a
  // batch holds what queued up meanwhile (one request when idle).
  std::vector<outgoing<store_proposal, store_reply>> proposals_out;
  std::vector<outgoing<store_read, store_read_reply>> reads_out;
  bool flush_due = false;
  // The timeouts of the proposals and reads sent (made on first use; its
  // thread ends with this state).
  std::unique_ptr<request_deadlines> deadlines;
};

void dispatch(client_actor* self, job_ptr j);
void connect(client_actor* self);

caf::error out_of_budget(client_actor* self) {
  std::string why = "no member of the cluster answered in time";
  if (!self->state.last_failure.empty())
    why += " (last: " + self->state.last_failure + ")";
  return to_caf_error(error{errc::timeout, why + "; the outcome is unknown"});
}

// The member in use failed: leave it and connect to the next one. Requests
// sent to it fail on their own (their timeout, or the broken connection).
void leave_member(client_actor* self, std::uint64_t epoch, std::string why) {
  auto& st = self->state;
  if (epoch != st.epoch || !st.member)
    return;
  st.last_failure = st.rotation->endpoints()[st.member_index].to_string() + ": " + why;
  self->demonitor(st.member);
  st.member = nullptr;
  st.probe_in_flight = false;
  st.rotation->failed(st.member_index, clock_type::now());
  // CAF does not fail requests to a member that is gone: their timeouts
  // would. Send them on now instead.
  auto orphans = std::move(st.in_flight);
  st.in_flight.clear();
  for (const auto& j : orphans) {
    ++j->attempt_no;
    if (j->retryable)
      st.waiting.push_back(j);
    else
      j->fail(to_caf_error(error{errc::timeout, "the connection to " + st.last_failure +
                                                    " broke; the outcome is unknown"}));
  }
  connect(self);
}

void use_member(client_actor* self, caf::actor member, std::size_t index) {
  auto& st = self->state;
  st.member = std::move(member);
  st.member_index = index;
  ++st.epoch;
  st.last_answer = clock_type::now();
  st.rotation->connected(index);
  self->monitor(st.member);
  for (const auto& [key, relay] : st.relays)
    self->send(relay, resume_atom::value, st.member, st.epoch);
  auto waiting = std::move(st.waiting);
  st.waiting.clear();
  for (auto& j : waiting)
    dispatch(self, std::move(j));
}

void try_endpoint(client_actor* self, std::size_t index) {
  const auto& endpoint = self->state.rotation->endpoints()[index];
  self->request(net::connector(self->home_system()), self->state.options.connect_timeout,
                caf::connect_atom::value, endpoint.host, endpoint.port)
      .then(
          [self, index](const caf::node_id&, caf::strong_actor_ptr& ptr,
                        const std::set<std::string>&) {
            auto& st = self->state;
            st.connecting = false;
            if (!ptr) {
              st.last_failure =
                  st.rotation->endpoints()[index].to_string() + ": no dref member there";
              st.rotation->failed(index, clock_type::now());
              return connect(self);
            }
            use_member(self, caf::actor_cast<caf::actor>(std::move(ptr)), index);
          },
          [self, index](caf::error& err) {
            auto& st = self->state;
            st.connecting = false;
            st.last_failure = st.rotation->endpoints()[index].to_string() + ": " +
                              self->home_system().render(err);
            st.rotation->failed(index, clock_type::now());
            connect(self);
          });
}

void connect(client_actor* self) {
  auto& st = self->state;
  if (st.connecting || st.member)
    return;
  st.connecting = true;
  auto now = clock_type::now();
  auto next = st.rotation->next(now);
  if (next.not_before > now) {
    self->delayed_send(self, next.not_before - now, reconnect_atom::value, next.index);
    return;
  }
  try_endpoint(self, next.index);
}

// What a failed attempt says: the request should go to another member
// (leave: this one is gone or cannot commit), be tried again here after a
// pause (the member answered that it has no leader right now), or fail.
enum class next_step { leave, again_here, give_up };

next_step after_failure(const caf::error& err) {
  if (err.category() != caf_error_category)
    return next_step::leave; // CAF's: a timeout, a broken connection
  switch (static_cast<errc>(err.code())) {
    case errc::unavailable:
      return next_step::again_here;
    case errc::timeout:
      return next_step::leave;
    default:
      return next_step::give_up;
  }
}

void retry(client_actor* self, job_ptr j, std::uint64_t epoch, const caf::error& err) {
  auto& st = self->state;
  auto step = j->retryable ? after_failure(err) : next_step::give_up;
  if (step == next_step::give_up)
    return j->fail(err);
  auto why = self->home_system().render(err);
  // A member that keeps saying it has no leader may be cut off from the others.
  if (step == next_step::again_here && ++j->answered_unavailable >= 3)
    step = next_step::leave;
  if (step == next_step::leave) {
    j->answered_unavailable = 0;
    leave_member(self, epoch, why);
    return dispatch(self, std::move(j));
  }
  st.last_failure = why;
  st.waiting.push_back(std::move(j)); // the next probe tick sends it again
}

void dispatch(client_actor* self, job_ptr j) {
  auto& st = self->state;
  auto now = clock_type::now();
  if (now >= j->deadline)
    return j->fail(out_of_budget(self));
  if (!st.member) {
    st.waiting.push_back(std::move(j));
    return connect(self);
  }
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(j->deadline - now);
  st.in_flight.insert(j);
  auto attempt = j->attempt;
  attempt(self, std::move(j), st.member, st.epoch, std::min(left, st.options.attempt_timeout));
}

// A request as a job: send(self, member, epoch, timeout, answered, failed)
// makes the request (to the member, or to a relay that uses it, or into the
// next batch) and reports its outcome through the two; Reply is what it
// answers.
template <class Reply, class Send>
caf::typed_response_promise<Reply> start_job(client_actor* self, bool retryable, Send send) {
  auto promise = self->make_response_promise<Reply>();
  auto j = std::make_shared<job>();
  j->deadline = clock_type::now() + self->state.options.request_budget;
  j->retryable = retryable;
  j->fail = [promise](caf::error err) mutable { promise.deliver(std::move(err)); };
  j->attempt = [promise, send](client_actor* client, job_ptr attempted, const caf::actor& member,
                               std::uint64_t epoch, std::chrono::milliseconds timeout) mutable {
    auto number = ++attempted->attempt_no;
    on_answer<Reply> answered = [client, promise, attempted](Reply& reply) mutable {
      client->state.in_flight.erase(attempted);
      client->state.last_answer = clock_type::now();
      // Even from an attempt given up: the answer is as good.
      if (promise.pending())
        promise.deliver(std::move(reply));
    };
    on_failure failed = [client, attempted, epoch, number](caf::error& err) {
      if (number != attempted->attempt_no)
        return; // given up already, tried again elsewhere
      client->state.in_flight.erase(attempted);
      retry(client, attempted, epoch, err);
    };
    send(client, member, epoch, timeout, std::move(answered), std::move(failed));
  };
  dispatch(self, std::move(j));
  return promise;
}

// A request sent to the member as it is.
template <class Reply, class... Args>
caf::typed_response_promise<Reply> forward_job(client_actor* self, bool retryable, Args... args) {
  return start_job<Reply>(
      self, retryable,
      [args...](client_actor* client, const caf::actor& member, std::uint64_t,
                std::chrono::milliseconds timeout, on_answer<Reply> answered, on_failure failed) {
        client->request(member, timeout, args...).then(std::move(answered), std::move(failed));
      });
}

void schedule_flush(client_actor* self) {
  if (!self->state.flush_due) {
    self->state.flush_due = true;
    self->send(self, flush_atom::value);
  }
}

// A request that goes to the member in the next batch of its kind.
template <class Item, class Reply>
caf::typed_response_promise<Reply>
batched_job(client_actor* self, bool retryable, Item item,
            std::vector<outgoing<Item, Reply>> client_state::*outbox) {
  return start_job<Reply>(
      self, retryable,
      [item = std::move(item), outbox](client_actor* client, const caf::actor&, std::uint64_t epoch,
                                       std::chrono::milliseconds timeout, on_answer<Reply> answered,
                                       on_failure failed) {
        (client->state.*outbox)
            .push_back({item, epoch, timeout, std::move(answered), std::move(failed)});
        schedule_flush(client);
      });
}

// A request to the member in use, timed by the client's deadlines rather
// than CAF's clock (request_deadlines.hpp): most requests are answered, and
// a timed CAF request wakes the clock thread twice.
template <class Reply>
void ask_timed(client_actor* self, std::chrono::milliseconds timeout, caf::message msg,
               on_answer<Reply> answered, on_failure failed) {
  auto& st = self->state;
  if (!st.deadlines)
    st.deadlines = std::make_unique<request_deadlines>(deadline_granularity);
  request_timed<Reply>(*st.deadlines, self, st.member, timeout, std::move(msg), std::move(answered),
                       std::move(failed));
}

// Sends what the outbox holds for the member in use: a lone request as it
// is, more as batches of up to max_batch_items (store_batches.hpp), each
// item's outcome to its own job. Attempts for a member left since are
// dropped: leave_member sent their jobs on already.
template <class Batch, class BatchReply, class Item, class Reply, class Atom>
void send_outbox(client_actor* self, std::vector<outgoing<Item, Reply>>& outbox, Atom atom,
                 std::vector<Item> Batch::*items) {
  auto& st = self->state;
  auto entries = std::move(outbox);
  outbox.clear();
  std::erase_if(entries, [&st](const auto& e) { return !st.member || e.epoch != st.epoch; });
  for (std::size_t from = 0, to = 0; from < entries.size(); from = to) {
    // Up to max_batch_items, and max_batch_bytes unless a lone item is larger.
    std::size_t bytes = from + 1 < entries.size() ? protocol::encoded_size(entries[from].item) : 0;
    for (to = from + 1; to < entries.size() && to - from < protocol::max_batch_items; ++to) {
      bytes += protocol::encoded_size(entries[to].item);
      if (bytes > protocol::max_batch_bytes)
        break;
    }
    if (to - from == 1) {
      auto& e = entries[from];
      ask_timed(self, e.timeout, caf::make_message(atom, std::move(e.item)), std::move(e.answered),
                std::move(e.failed));
      continue;
    }
    Batch batch;
    std::chrono::milliseconds timeout{0};
    auto waiting = std::make_shared<std::vector<std::pair<on_answer<Reply>, on_failure>>>();
    for (auto i = from; i < to; ++i) {
      (batch.*items).push_back(std::move(entries[i].item));
      timeout = std::max(timeout, entries[i].timeout);
      waiting->emplace_back(std::move(entries[i].answered), std::move(entries[i].failed));
    }
    ask_timed(self, timeout, caf::make_message(atom, std::move(batch)),
              on_answer<BatchReply>{[waiting](BatchReply& reply) {
                if (reply.outcomes.size() != waiting->size()) {
                  caf::error odd = to_caf_error(error{
                      errc::internal, "a batch of " + std::to_string(waiting->size()) +
                                          " requests was answered with " +
                                          std::to_string(reply.outcomes.size()) + " outcomes"});
                  for (auto& [answered, failed] : *waiting)
                    failed(odd);
                  return;
                }
                for (std::size_t i = 0; i < waiting->size(); ++i) {
                  auto& outcome = reply.outcomes[i];
                  if (outcome.failed) {
                    auto err = to_caf_error(*outcome.failed);
                    (*waiting)[i].second(err);
                  } else {
                    (*waiting)[i].first(outcome.reply);
                  }
                }
              }},
              [waiting](caf::error& err) {
                for (auto& [answered, failed] : *waiting)
                  failed(err);
              });
  }
}

void flush(client_actor* self) {
  auto& st = self->state;
  st.flush_due = false;
  send_outbox<protocol::proposal_batch, protocol::proposal_batch_reply>(
      self, st.proposals_out, protocol::propose_atom::value, &protocol::proposal_batch::proposals);
  send_outbox<protocol::read_batch, protocol::read_batch_reply>(
      self, st.reads_out, protocol::read_atom::value, &protocol::read_batch::reads);
}

// Sent again without a client id and sequence only when applying it twice
// does what applying it once does.
bool may_send_again(const store_proposal& p) {
  return p.client_id != 0 || std::holds_alternative<protocol::cmd_session_keepalive>(p.command) ||
         std::holds_alternative<protocol::cmd_session_close>(p.command);
}

caf::typed_response_promise<std::uint64_t> start_watch(client_actor* self, const std::string& id,
                                                       const caf::actor& watcher) {
  auto& st = self->state;
  auto key = std::make_pair(id, watcher.address());
  auto& relay = st.relays[key];
  if (!relay) {
    relay = spawn_watch_relay(self->home_system(),
                              watch_relay_options{id, watcher, st.options.attempt_timeout, 100ms});
    self->link_to(relay);
    self->monitor(relay);
  }
  // The relay watches at the member it is given and answers the start.
  return start_job<std::uint64_t>(
      self, true,
      [relay](client_actor* client, const caf::actor& member, std::uint64_t,
              std::chrono::milliseconds timeout, on_answer<std::uint64_t> answered,
              on_failure failed) {
        client->request(relay, timeout, protocol::watch_atom::value, member)
            .then(std::move(answered), std::move(failed));
      });
}

void on_probe(client_actor* self) {
  auto& st = self->state;
  auto now = clock_type::now();
  // Requests that waited out a member's "no leader" for a tick try again.
  if (st.member && !st.waiting.empty()) {
    auto waiting = std::move(st.waiting);
    st.waiting.clear();
    for (auto& j : waiting)
      dispatch(self, std::move(j));
  }
  for (auto it = st.waiting.begin(); it != st.waiting.end();) {
    if (now >= (*it)->deadline) {
      (*it)->fail(out_of_budget(self));
      it = st.waiting.erase(it);
    } else {
      ++it;
    }
  }
  if (!st.member || st.probe_in_flight || now - st.last_answer < st.options.probe_interval)
    return;
  st.probe_in_flight = true;
  auto epoch = st.epoch;
  self->request(st.member, st.options.attempt_timeout, protocol::status_atom::value)
      .then(
          [self, epoch](const protocol::node_status&) {
            if (epoch != self->state.epoch)
              return;
            self->state.probe_in_flight = false;
            self->state.last_answer = clock_type::now();
          },
          [self, epoch](caf::error& err) {
            if (epoch != self->state.epoch)
              return;
            self->state.probe_in_flight = false;
            leave_member(self, epoch, "no answer to a probe: " + self->home_system().render(err));
          });
}

caf::behavior cluster_client(client_actor* self, cluster_client_options options,
                             caf::actor connected, std::size_t index) {
  self->state.options = std::move(options);
  const auto& opts = self->state.options;
  self->state.rotation =
      std::make_unique<endpoint_rotation>(opts.endpoints, opts.first_pause, opts.max_pause);
  self->set_down_handler([self](const caf::down_msg& down) {
    auto& st = self->state;
    if (st.member && down.source == st.member.address())
      return leave_member(self, st.epoch,
                          "connection lost: " + self->home_system().render(down.reason));
    for (auto it = st.relays.begin(); it != st.relays.end(); ++it)
      if (it->second.address() == down.source) {
        st.relays.erase(it);
        break;
      }
  });
  if (connected)
    use_member(self, std::move(connected), index);
  else
    connect(self);
  self->send(self, probe_atom::value);
  return seam_and_own(
      {
          [self](protocol::propose_atom, store_proposal& p) {
            bool again = may_send_again(p);
            return batched_job(self, again, std::move(p), &client_state::proposals_out);
          },
          [self](protocol::read_atom, store_read& r) {
            return batched_job(self, true, std::move(r), &client_state::reads_out);
          },
          [self](protocol::watch_atom, const std::string& id, const caf::actor& watcher) {
            return start_watch(self, id, watcher);
          },
          [self](protocol::unwatch_atom, const std::string& id, const caf::actor& watcher) {
            auto& st = self->state;
            auto it = st.relays.find(std::make_pair(id, watcher.address()));
            if (it == st.relays.end())
              return;
            self->unlink_from(it->second);
            self->send_exit(it->second, caf::exit_reason::user_shutdown);
            st.relays.erase(it);
          },
      },
      [self](reconnect_atom, std::size_t at) { try_endpoint(self, at); },
      [self](flush_atom) { flush(self); },
      [self](probe_atom) {
        on_probe(self);
        self->delayed_send(self, budget_check, probe_atom::value);
      },
      // The member's status, from the member in use. (Its administration
      // goes to a member port instead: cluster_admin.cpp.)
      [self](protocol::status_atom) {
        return forward_job<protocol::node_status>(self, true, protocol::status_atom::value);
      },
      [self](protocol::status_atom, protocol::digest_atom) {
        return forward_job<protocol::node_status>(self, true, protocol::status_atom::value,
                                                  protocol::digest_atom::value);
      });
}

} // namespace

backend_actor spawn_cluster_client(caf::actor_system& sys, cluster_client_options options,
                                   caf::actor connected, std::size_t index) {
  return caf::actor_cast<backend_actor>(
      sys.spawn(cluster_client, std::move(options), std::move(connected), index));
}

} // namespace dref::backend
