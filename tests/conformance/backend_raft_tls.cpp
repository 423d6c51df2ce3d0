// The conformance suites run on the raft_processes backend over mutual TLS.
#include "cluster_fixture.hpp"

namespace dref::test {
extern const tested_backend backend_under_test = tested_backend::raft_processes_tls;
}
