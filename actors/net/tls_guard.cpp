#include "tls_guard.hpp"

#include "basp_frames.hpp"
#include "peer_roles.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <atomic>
#include <cstdio>
#include <fcntl.h>
#include <link.h>
#include <map>
#include <memory>
#include <mutex>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace dref::net::detail {

namespace {

using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct accepted_connection {
  // A duplicate of the connection's socket while its handshake runs: the
  // watchdog shuts it down through this one, which no other connection can
  // ever be given, whatever CAF has closed meanwhile.
  int watch_fd = -1;
  clock_type::time_point deadline;
  std::string peer;
};

std::uint32_t basp_length(std::uint64_t bytes) {
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(bytes, UINT32_MAX));
}

enum class refusal : std::size_t { connections, handshake, message, frame };

struct guard_state {
  std::mutex mutex;
  config::network bounds;
  // bounds.max_message_bytes as a BASP length, read without the mutex.
  std::atomic<std::uint32_t> max_message_bytes{basp_length(config::network{}.max_message_bytes)};
  std::map<SSL*, accepted_connection> accepted;
  tls_guard_counts counts;
  bool watchdog_running = false;
  std::set<std::uint16_t> client_ports; // local ports that serve clients
  std::array<clock_type::time_point, 4> last_report{};
  std::array<std::uint64_t, 4> unreported{};
};

// Outside guard_state's mutex (it has its own).
connection_registry& connections() {
  static auto* registry = new connection_registry;
  return *registry;
}

// Never destroyed: the watchdog thread may still run while the process exits.
guard_state& state() {
  static auto* st = new guard_state;
  return *st;
}

std::string peer_of(int fd) {
  sockaddr_storage addr{};
  socklen_t length = sizeof addr;
  if (fd < 0 || ::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &length) != 0)
    return "an unknown peer";
  char host[INET6_ADDRSTRLEN] = "?";
  unsigned port = 0;
  if (addr.ss_family == AF_INET) {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
    ::inet_ntop(AF_INET, &v4->sin_addr, host, sizeof host);
    port = ntohs(v4->sin_port);
    return std::string{host} + ":" + std::to_string(port);
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
  ::inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof host);
  port = ntohs(v6->sin6_port);
  return "[" + std::string{host} + "]:" + std::to_string(port);
}

// Under the mutex. One line a second per kind, so that a flood cannot fill
// the log; the lines skipped are counted in the next.
void report(guard_state& st, refusal kind, const std::string& text) {
  auto now = clock_type::now();
  auto i = static_cast<std::size_t>(kind);
  if (st.last_report[i] != clock_type::time_point{} && now - st.last_report[i] < 1s) {
    ++st.unreported[i];
    return;
  }
  auto line = "dref: " + text;
  if (st.unreported[i] > 0)
    line += " (and " + std::to_string(st.unreported[i]) + " more since the last such line)";
  st.unreported[i] = 0;
  st.last_report[i] = now;
  std::fprintf(stderr, "%s\n", line.c_str());
}

void close_watch_fd(accepted_connection& c) {
  if (c.watch_fd >= 0)
    ::close(c.watch_fd);
  c.watch_fd = -1;
}

// Shuts down the sockets of handshakes past their deadline: CAF then reads
// an end of stream, fails the handshake and drops the connection.
[[noreturn]] void watch_handshakes() {
  auto& st = state();
  for (;;) {
    std::this_thread::sleep_for(100ms);
    std::lock_guard lock{st.mutex};
    auto now = clock_type::now();
    for (auto& [ssl, c] : st.accepted) {
      if (c.watch_fd < 0 || c.deadline > now)
        continue;
      // The line first: whoever sees the connection end may look for it.
      ++st.counts.handshake_timeouts;
      report(st, refusal::handshake,
             "closed the connection from " + c.peer + ": no TLS handshake within " +
                 std::to_string(st.bounds.handshake_timeout.count()) +
                 " ms (network.handshake_timeout_ms)");
      ::shutdown(c.watch_fd, SHUT_RDWR);
      close_watch_fd(c);
    }
  }
}

int frames_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

struct code_range {
  std::uintptr_t low = 0;
  std::uintptr_t high = 0;
};

std::vector<code_range> caf_openssl_code() {
  std::vector<code_range> ranges;
  ::dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t, void* out) {
        if (info->dlpi_name == nullptr ||
            std::string_view{info->dlpi_name}.find("libcaf_openssl") == std::string_view::npos)
          return 0;
        auto& found = *static_cast<std::vector<code_range>*>(out);
        for (int i = 0; i < info->dlpi_phnum; ++i) {
          const auto& segment = info->dlpi_phdr[i];
          if (segment.p_type == PT_LOAD && (segment.p_flags & PF_X) != 0) {
            auto low = static_cast<std::uintptr_t>(info->dlpi_addr + segment.p_vaddr);
            found.push_back({low, low + segment.p_memsz});
          }
        }
        return 1;
      },
      &ranges);
  return ranges;
}

} // namespace

void set_tls_bounds(const config::network& bounds) {
  auto& st = state();
  std::lock_guard lock{st.mutex};
  st.bounds = bounds;
  st.max_message_bytes = basp_length(bounds.max_message_bytes);
}

tls_guard_counts tls_guard_counts_now() {
  auto& st = state();
  std::lock_guard lock{st.mutex};
  auto counts = st.counts;
  counts.open_connections = st.accepted.size();
  return counts;
}

void serve_clients_on(std::uint16_t port) {
  auto& st = state();
  std::lock_guard lock{st.mutex};
  st.client_ports.insert(port);
}

peer_role role_of_node(std::span<const unsigned char> node) {
  return connections().role_of(node);
}

bool called_by_caf(const void* return_address) {
  static const auto ranges = caf_openssl_code();
  auto at = reinterpret_cast<std::uintptr_t>(return_address);
  for (const auto& range : ranges)
    if (at >= range.low && at < range.high)
      return true;
  return false;
}

bool admit_accept(SSL* ssl) {
  auto& st = state();
  std::lock_guard lock{st.mutex};
  if (st.accepted.contains(ssl))
    return true; // a handshake under way
  auto fd = SSL_get_fd(ssl);
  if (st.accepted.size() >= st.bounds.max_connections) {
    ++st.counts.refused_connections;
    report(st, refusal::connections,
           "refused the connection from " + peer_of(fd) + ": " +
               std::to_string(st.accepted.size()) +
               " connections are open (network.max_connections)");
    return false;
  }
  accepted_connection c;
  c.watch_fd = fd >= 0 ? ::fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
  c.deadline = clock_type::now() + st.bounds.handshake_timeout;
  c.peer = peer_of(fd);
  st.accepted.emplace(ssl, std::move(c));
  if (!st.watchdog_running) {
    std::thread{watch_handshakes}.detach();
    st.watchdog_running = true;
  }
  return true;
}

void accept_returned(SSL* ssl, int result) {
  if (result != 1)
    return;
  auto& st = state();
  std::lock_guard lock{st.mutex};
  if (auto it = st.accepted.find(ssl); it != st.accepted.end())
    close_watch_fd(it->second);
}

namespace {

std::uint16_t local_port(int fd) {
  sockaddr_storage addr{};
  socklen_t length = sizeof addr;
  if (fd < 0 || ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) != 0)
    return 0;
  if (addr.ss_family == AF_INET)
    return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
}

// transport.hpp, peer_role: the certificate says operator or member.
peer_role certificate_role(SSL* ssl) {
  X509* certificate = SSL_get1_peer_certificate(ssl);
  if (certificate == nullptr)
    return peer_role::none;
  auto role = peer_role::member;
  auto* subject = X509_get_subject_name(certificate);
  for (int at = -1;
       (at = X509_NAME_get_index_by_NID(subject, NID_organizationalUnitName, at)) >= 0;) {
    auto* text = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, at));
    std::string_view unit{reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
                          static_cast<std::size_t>(ASN1_STRING_length(text))};
    if (unit == "operator")
      role = peer_role::operator_;
  }
  X509_free(certificate);
  return role;
}

// On a connection's first read, after its TLS handshake.
void open_connection(SSL* ssl) {
  bool accepted = SSL_is_server(ssl) == 1;
  auto role = certificate_role(ssl);
  if (accepted) {
    auto& st = state();
    std::lock_guard lock{st.mutex};
    if (st.client_ports.contains(local_port(SSL_get_fd(ssl))))
      role = peer_role::client;
  }
  connections().open(ssl, connection_rules{accepted, role});
}

void report_refused(SSL* ssl, const frame_refusal& refused) {
  auto& st = state();
  std::lock_guard lock{st.mutex};
  auto peer = peer_of(SSL_get_fd(ssl));
  if (refused.kind == frame_refusal::oversized) {
    ++st.counts.oversized_messages;
    report(st, refusal::message,
           "closed the connection from " + peer + ": it announced a message of " +
               std::to_string(refused.announced) + " bytes, over network.max_message_bytes = " +
               std::to_string(st.max_message_bytes.load()));
    return;
  }
  ++st.counts.forbidden_frames;
  report(st, refusal::frame,
         "closed the connection from " + peer + ": a " + basp_operation_name(refused.operation) +
             " its peer may not send (docs/security.md, \"Planes\")");
}

} // namespace

bool admit_read(SSL* ssl, const void* bytes, int count) {
  auto* frames = static_cast<basp_frames*>(SSL_get_ex_data(ssl, frames_index()));
  if (frames == nullptr) {
    frames = new basp_frames{state().max_message_bytes.load()};
    SSL_set_ex_data(ssl, frames_index(), frames);
    open_connection(ssl);
  }
  bool broken_before = frames->broken();
  auto refused = frames->feed(
      std::span{static_cast<const unsigned char*>(bytes), static_cast<std::size_t>(count)},
      [ssl](const frame_start& frame) { return connections().admit(ssl, frame); });
  if (!refused)
    return true;
  if (!broken_before)
    report_refused(ssl, *refused);
  return false;
}

void forget(SSL* ssl) {
  connections().close(ssl);
  delete static_cast<basp_frames*>(SSL_get_ex_data(ssl, frames_index()));
  SSL_set_ex_data(ssl, frames_index(), nullptr);
  auto& st = state();
  std::lock_guard lock{st.mutex};
  if (auto it = st.accepted.find(ssl); it != st.accepted.end()) {
    close_watch_fd(it->second);
    st.accepted.erase(it);
  }
}

} // namespace dref::net::detail
