#include "cluster_fixture.hpp"

#include "backend_clusters.hpp"

namespace dref::test {

std::unique_ptr<cluster_base> make_cluster(tested_backend backend, std::size_t nodes,
                                           const store::limits& limits) {
  switch (backend) {
    case tested_backend::memory:
      return std::make_unique<memory_cluster>(nodes, limits);
    case tested_backend::raft:
      return std::make_unique<raft_cluster>(nodes, limits);
    case tested_backend::raft_processes:
      return std::make_unique<raft_process_cluster>(nodes, limits);
    case tested_backend::raft_processes_tls:
      return std::make_unique<raft_process_cluster>(nodes, limits, true);
    case tested_backend::redis:
      return std::make_unique<redis_cluster>(nodes, limits);
    case tested_backend::redis_tls_acl:
      return std::make_unique<redis_cluster>(nodes, limits, true);
  }
  throw std::invalid_argument("no such backend under test");
}

} // namespace dref::test
