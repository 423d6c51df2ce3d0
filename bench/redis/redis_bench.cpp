// The redis backend against Redis itself, in one run on one redis-server:
// dref's set, get and update from `callers` actors (one request in flight
// each) next to redis-benchmark's SET, GET and INCR with as many clients.
// Prints figures; asserts nothing.
//
//   redis_bench [seconds-per-phase=3] [callers=32]

#include "actor_load.hpp"
#include "child_process.hpp"
#include "dref/actors/node_system.hpp"
#include "dref/context.hpp"
#include "dref/store/named_commands.hpp"

#include <algorithm>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <regex>
#include <stdlib.h>
#include <string>
#include <vector>

using namespace std::chrono;
using dref::test::child_process;

namespace {

// redis-benchmark's "SET: 81234.56 requests per second" lines.
double raw_rate(std::uint16_t port, int clients, long requests, const std::string& test) {
  std::string command = "redis-benchmark -h 127.0.0.1 -p " + std::to_string(port) + " -c " +
                        std::to_string(clients) + " -n " + std::to_string(requests) +
                        " -r 100000 -q -t " + test + " 2>/dev/null";
  std::unique_ptr<FILE, int (*)(FILE*)> out{popen(command.c_str(), "r"), pclose};
  if (!out)
    return 0;
  std::string text;
  char buffer[512];
  while (fgets(buffer, sizeof buffer, out.get()) != nullptr)
    text += buffer;
  std::smatch m;
  // -q prints progress with \r before the final figure.
  std::regex figure{"([0-9.]+) requests per second"};
  double rate = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), figure);
       it != std::sregex_iterator(); ++it)
    rate = std::stod((*it)[1].str());
  return rate;
}

std::string redis_cli(std::uint16_t port, const std::string& args) {
  std::string command = "redis-cli -h 127.0.0.1 -p " + std::to_string(port) + " " + args;
  std::unique_ptr<FILE, int (*)(FILE*)> out{popen(command.c_str(), "r"), pclose};
  std::string text;
  char buffer[512];
  while (out && fgets(buffer, sizeof buffer, out.get()) != nullptr)
    text += buffer;
  return text;
}

// Redis's own work for a phase's dref calls (INFO commandstats, reset
// before the phase): time per call of the store's function, which bounds
// what any number of callers can get, and the commands it ran per call
// (the six that took longest: how many per call, and their time per call).
struct server_work {
  double us_per_call = 0;
  double inner_per_call = 0;
  std::string top; // the inner commands most called, per call
};

server_work server_work_since_reset(std::uint16_t port) {
  auto text = redis_cli(port, "INFO commandstats");
  std::regex line{"cmdstat_([a-z_|]+):calls=([0-9]+),usec=([0-9]+)"};
  double calls = 0, usec = 0;
  std::vector<std::pair<double, std::string>> inner; // by the time they took
  std::map<std::string, double> counts;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), line); it != std::sregex_iterator();
       ++it) {
    auto name = (*it)[1].str();
    double n = std::stod((*it)[2].str());
    double took = std::stod((*it)[3].str());
    if (name.starts_with("fcall") || name.starts_with("evalsha")) {
      calls += n;
      usec += took;
    } else if (name != "info" && name != "config|resetstat") {
      inner.emplace_back(took, name);
      counts[name] = n;
    }
  }
  server_work out;
  if (calls == 0)
    return out;
  out.us_per_call = usec / calls;
  std::sort(inner.rbegin(), inner.rend());
  for (std::size_t i = 0; i < inner.size(); ++i) {
    const auto& name = inner[i].second;
    out.inner_per_call += counts[name] / calls;
    if (i < 6) {
      char item[96];
      std::snprintf(item, sizeof item, "%s%s %.1fx %.1f us", i ? ", " : "", name.c_str(),
                    counts[name] / calls, inner[i].first / calls);
      out.top += item;
    }
  }
  return out;
}

// goal_percent: of redis-benchmark's rate (bench/README.md); 0: none.
void print_pair(const char* what, double dref_rate, double raw, const char* raw_what,
                double goal_percent = 0) {
  double percent = raw > 0 ? 100.0 * dref_rate / raw : 0.0;
  std::printf("  %-34s %9.0f /s   redis-benchmark %-5s %9.0f /s   %5.1f%%", what, dref_rate,
              raw_what, raw, percent);
  if (goal_percent > 0)
    std::printf("   goal >= %.0f%% %s", goal_percent, percent >= goal_percent ? "met" : "not met");
  std::printf("\n");
}

} // namespace

int main(int argc, char** argv) {
  duration<double> phase{argc > 1 ? std::stod(argv[1]) : 3.0};
  int callers = argc > 2 ? std::stoi(argv[2]) : 32;

  std::string pattern =
      (std::filesystem::temp_directory_path() / "dref-redis-bench-XXXXXX").string();
  std::filesystem::path dir = ::mkdtemp(pattern.data());
  auto port = dref::test::free_loopback_port();
  // No persistence, as redis-benchmark is usually run: both sides pay the same.
  child_process server{{"redis-server", "--port", std::to_string(port), "--bind", "127.0.0.1",
                        "--dir", dir.string(), "--save", "", "--appendonly", "no"},
                       (dir / "redis.log").string()};
  if (!dref::test::wait_until_listening(port, seconds{10})) {
    std::fprintf(stderr, "redis_bench: redis-server did not start\n");
    return 1;
  }
  {
    dref::node_system_config cfg;
    caf::actor_system sys{cfg};
    dref::config::node_config node;
    node.backend = dref::config::backend_kind::redis;
    node.redis = {"127.0.0.1", port};
    node.redis_key_prefix = "bench:";
    dref::context ctx{sys, dref::redis_backend::start(sys, node)};
    std::vector<dref::ref<std::int64_t>> refs;
    for (int i = 0; i < callers; ++i)
      refs.push_back(ctx.make<std::int64_t>(0, dref::manual_id("bench/r" + std::to_string(i))));
    auto on_error = [](const dref::error& e) {
      std::fprintf(stderr, "redis_bench: %s\n", e.to_string().c_str());
    };
    std::vector<std::pair<std::string, server_work>> work;
    auto load = [&](const char* what, auto issue) {
      redis_cli(port, "CONFIG RESETSTAT");
      auto got = dref::bench::from_actors(sys, callers, phase, issue);
      if (got.errors > 0)
        std::fprintf(stderr, "redis_bench: %ld errors\n", got.errors);
      work.emplace_back(what, server_work_since_reset(port));
      return got.per_second;
    };
    double sets = load("set", [&](caf::event_based_actor* self, int a,
                                  std::function<void(bool)> done) {
      refs[static_cast<std::size_t>(a)].set(self, a).then([done](std::uint64_t) { done(true); },
                                                          [done, on_error](const dref::error& e) {
                                                            on_error(e);
                                                            done(false);
                                                          });
    });
    double gets =
        load("get", [&](caf::event_based_actor* self, int a, std::function<void(bool)> done) {
          refs[static_cast<std::size_t>(a)].get(self).then(
              [done](std::int64_t) { done(true); }, [done](const dref::error&) { done(false); });
        });
    double updates = load("update_and_get", [&](caf::event_based_actor* self, int a,
                                                std::function<void(bool)> done) {
      refs[static_cast<std::size_t>(a)]
          .update_and_get(self, [](std::int64_t n) { return n + 1; })
          .then([done](std::int64_t) { done(true); }, [done](const dref::error&) { done(false); });
    });
    auto one = dref::store::encode_i64(1);
    double adds =
        load("add_i64", [&](caf::event_based_actor* self, int a, std::function<void(bool)> done) {
          refs[static_cast<std::size_t>(a)]
              .run(self, "add_i64", one)
              .then([done](const dref::versioned<std::int64_t>&) { done(true); },
                    [done](const dref::error&) { done(false); });
        });
    auto requests = static_cast<long>(std::max(sets, 50'000.0) * phase.count() * 2);
    double raw_set = raw_rate(port, callers, requests, "set");
    double raw_get = raw_rate(port, callers, requests, "get");
    double raw_incr = raw_rate(port, callers, requests, "incr");
    std::printf("redis backend vs redis-benchmark, %d callers / clients, %.1f s per phase, one "
                "redis-server on loopback, no persistence, %u hardware threads shared by all\n",
                callers, phase.count(), std::thread::hardware_concurrency());
    print_pair("set(self) (cas-free write)", sets, raw_set, "SET", 70);
    print_pair("get(self) (linearizable)", gets, raw_get, "GET", 70);
    print_pair("update_and_get(self, +1) (get+cas)", updates, raw_incr, "INCR");
    print_pair("run(self, add_i64, 1) (one script)", adds, raw_incr, "INCR", 70);
    std::printf("Redis's own work per call of the store's function, by phase (commandstats):\n");
    for (auto& [what, w] : work)
      std::printf("  %-15s %5.1f us (at most %6.0f calls/s), %4.1f commands: %s\n", what.c_str(),
                  w.us_per_call, w.us_per_call > 0 ? 1e6 / w.us_per_call : 0.0, w.inner_per_call,
                  w.top.c_str());
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}
