// A nemesis client process: the suite starts several of them, pauses them
// (SIGSTOP/SIGCONT) among its faults, and stops them with SIGTERM, which
// ends the loop after the call under way. Each records what it did in its
// history file (history_file.hpp) for the suite to check.
//
//   nemesis_client values ID SEED ENDPOINTS OUT   random reads, writes and
//                                                  compare-and-sets of the keys
//   nemesis_client lock ID SEED ENDPOINTS OUT     takes and lets go of the
//                                                  nemesis lock
// ENDPOINTS: host:port,host:port,... (the client's first member first).

#include "dref/actors/node_system.hpp"
#include "dref/config/load.hpp"
#include "dref/context.hpp"
#include "dref/lock.hpp"
#include "history_file.hpp"

#include <atomic>
#include <csignal>
#include <iostream>
#include <random>
#include <sstream>
#include <thread>

using namespace dref;
using namespace std::chrono_literals;
using namespace dref::test::nemesis;

namespace {

volatile std::sig_atomic_t stop_requested = 0;
extern "C" void request_stop(int) {
  stop_requested = 1;
}

constexpr int keys = 3; // nemesis/k0 .. k2, made by the suite
std::string key_name(int k) {
  return "nemesis/k" + std::to_string(k);
}

context_options client_options() {
  context_options options;
  options.request_timeout = 5s;
  options.session_ttl = 1s;
  return options;
}

void run_values(context& ctx, std::uint64_t id, std::uint64_t seed, history_writer& out) {
  std::mt19937_64 rng{seed};
  auto next_value = static_cast<std::int64_t>(id + 1) * 1'000'000;
  while (stop_requested == 0) {
    int key = static_cast<int>(rng() % keys);
    auto r = ctx.existing<std::int64_t>(manual_id(key_name(key)));
    model::input_type input;
    switch (rng() % 3) {
      case 0:
        input = {model::kind::read, 0, 0};
        break;
      case 1:
        input = {model::kind::write, ++next_value, 0};
        break;
      default: {
        // Expect the initial value or a fresh guess: some succeed, most not.
        auto expected = static_cast<std::int64_t>(rng() % 2 == 0 ? 0 : next_value);
        input = {model::kind::cas, ++next_value, expected};
      }
    }
    auto n = out.invoke(key, input);
    try {
      model::output_type output;
      switch (input.what) {
        case model::kind::read:
          output = {r.get(), true};
          break;
        case model::kind::write: // the version it made: the watch check places it
          output = {static_cast<std::int64_t>(r.set(input.value)), true};
          break;
        case model::kind::cas:
          output = {0, r.compare_and_set(input.expected, input.value)};
          break;
      }
      out.returned(n, output);
    } catch (const error_exception&) {
      // Outcome unknown (or refused before it happened: a read or a
      // write that failed is the same to the checker as one never seen).
    }
  }
}

// A holder that honours its loss: it uses the lock in short steps and, before
// each, checks lost() (which reads the client's own session deadline, so it
// is true at once after a pause). A hold runs from the first to the last
// instant it found the grant still its own, so a pause anywhere (even
// between being granted the lock and the first check) never stretches it.
void run_lock(context& ctx, std::uint64_t seed, history_writer& out) {
  std::mt19937_64 rng{seed};
  while (stop_requested == 0) {
    std::optional<lock_guard> guard;
    try {
      guard = ctx.try_lock_for(manual_id("nemesis/lock"), 2s);
    } catch (const error_exception&) {
      continue;
    }
    if (!guard)
      continue;
    hold h;
    h.token = guard->fencing_token();
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds{50 + rng() % 200};
    while (std::chrono::steady_clock::now() < until) {
      auto checked_at = now_ns(); // taken before the check: lost() then covers it
      if (guard->lost()) {
        h.lost = true;
        break;
      }
      if (h.from == 0)
        h.from = checked_at;
      h.to = checked_at;
      std::this_thread::sleep_for(5ms);
    }
    guard.reset(); // lets go (a lost one: nothing to release)
    out.held(h);
  }
}

std::vector<config::endpoint> parse_endpoints(const std::string& text) {
  std::vector<config::endpoint> out;
  std::istringstream in{text};
  std::string one;
  while (std::getline(in, one, ',')) {
    auto ep = config::parse_endpoint(one);
    if (!ep)
      throw std::runtime_error("bad endpoint '" + one + "': " + ep.error().message);
    out.push_back(*ep);
  }
  return out;
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::cerr << "usage: nemesis_client values|lock ID SEED ENDPOINTS OUT\n";
    return 2;
  }
  std::signal(SIGTERM, request_stop);
  try {
    std::string mode = argv[1];
    auto id = std::stoull(argv[2]);
    auto seed = std::stoull(argv[3]);
    history_writer out{argv[5]};
    node_system_config cfg;
    caf::actor_system sys{cfg};
    auto cluster = raft_member::connect(sys, parse_endpoints(argv[4]), 10s, 5s);
    context ctx{sys, cluster, client_options()};
    if (mode == "values")
      run_values(ctx, id, seed, out);
    else if (mode == "lock")
      run_lock(ctx, seed, out);
    else
      throw std::runtime_error("unknown mode " + mode);
  } catch (const std::exception& e) {
    std::cerr << "nemesis_client: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
