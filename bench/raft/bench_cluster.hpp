#pragma once
// Three dref-node processes on loopback (fsync on, data under the temp
// directory unless told otherwise) and one client context on each, for the
// raft benches. The processes stop with the object, also on an exception.
//
// DREF_NODE_BIN overrides the dref-node the build points at;
// DREF_BENCH_KEEP=1 keeps the members' data directories and logs.

#include "child_process.hpp"
#include "dref/backends.hpp"
#include "dref/context.hpp"

#include <caf/actor_system.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace dref::bench {

using namespace std::chrono;
using dref::test::child_process;

inline std::string node_bin() {
  if (const char* bin = std::getenv("DREF_NODE_BIN"))
    return bin;
  return DREF_NODE_BIN;
}

// Three dref-node processes and one client context on each.
class cluster {
public:
  // The data directories go under `parent` (a tmpfs one takes the disk out
  // of the figures).
  cluster(caf::actor_system& sys, std::string label, std::vector<std::string> extra_flags,
          const std::filesystem::path& parent = std::filesystem::temp_directory_path())
      : sys_(sys)
      , extra_(std::move(extra_flags)) {
    std::string pattern = (parent / ("dref-bench-" + label + "-XXXXXX")).string();
    root_ = ::mkdtemp(pattern.data());
    for (int i = 0; i < 3; ++i) {
      ports_.push_back(dref::test::free_loopback_port());
      peers_ +=
          (peers_.empty() ? "" : ",") + std::string{"127.0.0.1:"} + std::to_string(ports_.back());
    }
    processes_.resize(3);
    members_.resize(3);
    contexts_.resize(3);
    for (int i = 0; i < 3; ++i)
      spawn(i);
    for (int i = 0; i < 3; ++i)
      connect(i);
  }
  ~cluster() {
    contexts_.clear();
    members_.clear();
    processes_.clear();
    if (std::getenv("DREF_BENCH_KEEP")) {
      std::printf("  (kept %s)\n", root_.c_str());
      return;
    }
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }

  dref::context& ctx(int i) { return *contexts_.at(static_cast<std::size_t>(i)); }
  const std::filesystem::path& root() const { return root_; }

  std::optional<dref::protocol::node_status> status(int i,
                                                    milliseconds timeout = milliseconds{500}) {
    if (!members_[static_cast<std::size_t>(i)])
      return std::nullopt;
    auto got = members_[static_cast<std::size_t>(i)]->status(sys_, timeout);
    if (!got)
      return std::nullopt;
    return *got;
  }

  // The member that says it leads, once one does.
  int wait_for_leader(milliseconds patience = seconds{20}) {
    auto deadline = steady_clock::now() + patience;
    while (steady_clock::now() < deadline) {
      for (int i = 0; i < 3; ++i)
        if (auto s = status(i); s && s->role == "leader")
          return i;
      std::this_thread::sleep_for(milliseconds{5});
    }
    throw std::runtime_error("no leader within " + std::to_string(patience.count()) + " ms");
  }

  void kill_hard(int i) {
    contexts_[static_cast<std::size_t>(i)].reset();
    members_[static_cast<std::size_t>(i)].reset();
    processes_[static_cast<std::size_t>(i)]->kill_hard();
  }
  void stop(int i) {
    contexts_[static_cast<std::size_t>(i)].reset();
    members_[static_cast<std::size_t>(i)].reset();
    processes_[static_cast<std::size_t>(i)]->stop();
  }
  void spawn(int i) {
    auto id = "node-" + std::to_string(i + 1);
    std::vector<std::string> argv{node_bin(),
                                  "--backend",
                                  "raft",
                                  "--node-id",
                                  id,
                                  "--port",
                                  std::to_string(ports_[static_cast<std::size_t>(i)]),
                                  "--data-dir",
                                  (root_ / id).string(),
                                  "--peers",
                                  peers_};
    argv.insert(argv.end(), extra_.begin(), extra_.end());
    processes_[static_cast<std::size_t>(i)] =
        std::make_unique<child_process>(argv, (root_ / (id + ".log")).string());
  }
  void connect(int i) {
    auto port = ports_[static_cast<std::size_t>(i)];
    if (!dref::test::wait_until_listening(port, seconds{60}))
      throw std::runtime_error("dref-node " + std::to_string(i + 1) + " did not start; see " +
                               root_.string());
    members_[static_cast<std::size_t>(i)] =
        dref::raft_member::connect(sys_, "127.0.0.1", port, seconds{10});
    dref::context_options options;
    options.request_timeout = seconds{10};
    contexts_[static_cast<std::size_t>(i)] =
        std::make_unique<dref::context>(sys_, *members_[static_cast<std::size_t>(i)], options);
  }
  std::uint16_t port(int i) const { return ports_[static_cast<std::size_t>(i)]; }
  // Every member's endpoint, member `first` first (a client uses it).
  std::vector<dref::config::endpoint> endpoints_from(int first) const {
    std::vector<dref::config::endpoint> out;
    for (int k = 0; k < 3; ++k)
      out.push_back(dref::config::endpoint{"127.0.0.1", port((first + k) % 3)});
    return out;
  }

  // The process ids of the running members.
  std::vector<int> member_pids() const {
    std::vector<int> out;
    for (const auto& p : processes_)
      if (p)
        out.push_back(static_cast<int>(p->pid()));
    return out;
  }
  // CPU seconds (user + system) the running members used so far.
  double members_cpu_seconds() const {
    double total = 0;
    for (const auto& p : processes_) {
      if (!p)
        continue;
      std::ifstream stat{"/proc/" + std::to_string(p->pid()) + "/stat"};
      std::string line;
      std::getline(stat, line);
      auto fields = line.substr(line.rfind(')') + 2); // after "pid (comm) "
      std::istringstream in{fields};
      std::string skip;
      for (int i = 3; i < 14; ++i) // fields 3..13
        in >> skip;
      double user = 0, system = 0;
      in >> user >> system;
      total += (user + system) / static_cast<double>(::sysconf(_SC_CLK_TCK));
    }
    return total;
  }

private:
  caf::actor_system& sys_;
  std::vector<std::string> extra_;
  std::filesystem::path root_;
  std::vector<std::uint16_t> ports_;
  std::string peers_;
  std::vector<std::unique_ptr<child_process>> processes_;
  std::vector<std::optional<dref::raft_member>> members_;
  std::vector<std::unique_ptr<dref::context>> contexts_;
};

} // namespace dref::bench
