#pragma once
// The backend under test, seen as a few "nodes" (contexts) of one cluster.
// The conformance suites use only this interface and are compiled once;
// each conformance executable links them with the one line that names its
// backend (backend_<name>.cpp).

#include "dref/context.hpp"
#include "dref/store/limits.hpp"

#include <caf/fwd.hpp>
#include <cstddef>
#include <memory>

namespace dref::test {

struct cluster_base {
  virtual ~cluster_base() = default;
  virtual context& node(std::size_t i) = 0;
  // Where the tests spawn their actors.
  virtual caf::actor_system& system() = 0;
};

// raft_processes_tls: raft_processes over mutual TLS. redis_tls_acl: redis
// over TLS, logged in as an ACL user limited to the suite's key prefix and
// to commands that are not @dangerous.
enum class tested_backend {
  memory,
  raft,
  raft_processes,
  raft_processes_tls,
  redis,
  redis_tls_acl
};

// Defined by each conformance executable.
extern const tested_backend backend_under_test;

std::unique_ptr<cluster_base> make_cluster(tested_backend backend, std::size_t nodes,
                                           const store::limits& limits);

struct conformance_cluster {
  explicit conformance_cluster(std::size_t nodes = 3, store::limits limits = {})
      : impl_(make_cluster(backend_under_test, nodes, limits))
      , sys(impl_->system()) {}

  context& node(std::size_t i) { return impl_->node(i); }

private:
  std::unique_ptr<cluster_base> impl_;

public:
  caf::actor_system& sys;
};

} // namespace dref::test
