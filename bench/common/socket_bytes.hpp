#pragma once
// Bytes that crossed TCP sockets on loopback, counted by the kernel: `ss
// -tinpH` (iproute2) lists each established socket with its owner's pid and
// the bytes it sent and received. A bench snapshots before and after a
// phase and sums the difference per kind of link. Linux only.

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <string>

namespace dref::bench {

struct socket_key {
  int pid = 0;
  int local_port = 0;
  int peer_port = 0;
  auto operator<=>(const socket_key&) const = default;
};

struct socket_count {
  std::uint64_t sent = 0;
  std::uint64_t received = 0;
};

using socket_counts = std::map<socket_key, socket_count>;

// Every established TCP socket on 127.0.0.1 owned by one of `pids`.
inline socket_counts count_sockets(const std::set<int>& pids) {
  socket_counts out;
  std::unique_ptr<FILE, int (*)(FILE*)> ss{::popen("ss -tinpH state established 2>/dev/null", "r"),
                                           ::pclose};
  if (!ss)
    return out;
  static const std::regex head{R"(127\.0\.0\.1:(\d+)\s+127\.0\.0\.1:(\d+)\s+users:.*pid=(\d+))"};
  static const std::regex sent{R"(bytes_sent:(\d+))"};
  static const std::regex acked{R"(bytes_acked:(\d+))"};
  static const std::regex received{R"(bytes_received:(\d+))"};
  std::string text;
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, ss.get()) != nullptr)
    text += buffer;
  // Each socket: a line with its addresses and owner, then one with details.
  std::size_t at = 0;
  std::optional<socket_key> current;
  while (at < text.size()) {
    auto end = text.find('\n', at);
    if (end == std::string::npos)
      end = text.size();
    std::string line = text.substr(at, end - at);
    at = end + 1;
    std::smatch m;
    if (std::regex_search(line, m, head)) {
      current = socket_key{std::stoi(m[3]), std::stoi(m[1]), std::stoi(m[2])};
      if (!pids.contains(current->pid))
        current.reset();
      continue;
    }
    if (!current)
      continue;
    socket_count c;
    if (std::regex_search(line, m, sent) || std::regex_search(line, m, acked))
      c.sent = std::stoull(m[1]);
    if (std::regex_search(line, m, received))
      c.received = std::stoull(m[1]);
    out[*current] = c;
    current.reset();
  }
  return out;
}

// after - before, per socket (a socket new since `before` counts whole).
inline socket_counts difference(const socket_counts& before, const socket_counts& after) {
  socket_counts out;
  for (const auto& [key, now] : after) {
    socket_count d = now;
    if (auto it = before.find(key); it != before.end()) {
      d.sent -= std::min(d.sent, it->second.sent);
      d.received -= std::min(d.received, it->second.received);
    }
    out[key] = d;
  }
  return out;
}

} // namespace dref::bench
