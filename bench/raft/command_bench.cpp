// One hot value changed from many actors at once on a 3-member cluster of
// dref-node processes (fsync on): by a named command (dref/commands.hpp,
// loaded into the members with --plugin), and the same change through
// update_and_get (read, change, compare-and-set, retried on conflict).
// Prints both side by side; asserts nothing, but exits 1 when the value is
// not what the acknowledged changes make it.
//
//   command_bench [seconds-per-phase=5] [actors=64]

#include "actor_load.hpp"
#include "bench_cluster.hpp"
#include "dref/actors/node_system.hpp"
#include "hot_counter.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <cstdio>
#include <string>
#include <vector>

using namespace std::chrono;
using dref::bench::actor_load;
using dref::bench::from_actors;
using dref::bench::hot_counter;

namespace {

using hot_ref = dref::ref<hot_counter>;

// The actors are spread over the three members' contexts.
actor_load load(caf::actor_system& sys, std::vector<hot_ref>& refs, int actors,
                duration<double> phase, bool named) {
  return from_actors(
      sys, actors, phase,
      [&refs, named](caf::event_based_actor* self, int a, std::function<void(bool)> done) {
        auto& r = refs[static_cast<std::size_t>(a) % refs.size()];
        auto failed = [done](const dref::error&) { done(false); };
        if (named)
          r.command<std::int64_t>(self, "bench.add", std::int64_t{1})
              .then([done](const dref::versioned<std::int64_t>&) { done(true); }, failed);
        else
          r.update_and_get(self, [](hot_counter c) {
             ++c.n;
             return c;
           }).then([done](const hot_counter&) { done(true); }, failed);
      });
}

} // namespace

int main(int argc, char** argv) {
  duration<double> phase{argc > 1 ? std::stod(argv[1]) : 5.0};
  int actors = argc > 2 ? std::stoi(argv[2]) : 64;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  dref::node_system_config cfg;
  caf::actor_system sys{cfg};
  dref::bench::cluster c{sys, "commands", {"--plugin", COMMAND_BENCH_PLUGIN}};
  c.wait_for_leader();
  auto id = dref::manual_id("bench/hot");
  c.ctx(0).make<hot_counter>({}, id);
  std::vector<hot_ref> refs;
  for (int i = 0; i < 3; ++i)
    refs.push_back(c.ctx(i).existing<hot_counter>(id));
  std::printf("one hot value, %d actors spread over 3 dref-node members (fsync on), %.1f s each:\n",
              actors, phase.count());
  auto named = load(sys, refs, actors, phase, true);
  auto updated = load(sys, refs, actors, phase, false);
  std::printf("  %-44s %10.0f changes/s  (%ld errors)\n", "named command bench.add (+1)",
              named.per_second, named.errors);
  std::printf("  %-44s %10.0f changes/s  (%ld errors: retries exhausted or timeouts)\n",
              "update_and_get (+1, compare-and-set)", updated.per_second, updated.errors);
  std::printf("  goal: the named command wins under contention: %s (%.1fx)\n",
              named.per_second > updated.per_second ? "met" : "NOT met",
              updated.per_second > 0 ? named.per_second / updated.per_second : 0.0);
  auto final_value = refs[1].get().n;
  auto acknowledged = named.answers + updated.answers;
  std::printf("  value %lld, acknowledged changes %ld%s\n", static_cast<long long>(final_value),
              acknowledged,
              final_value >= acknowledged &&
                      final_value <= acknowledged + named.errors + updated.errors
                  ? ""
                  : "  <- MISMATCH");
  return final_value >= acknowledged ? 0 : 1;
}
