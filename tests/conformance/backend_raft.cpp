// The conformance suites run on the raft backend here.
#include "cluster_fixture.hpp"

namespace dref::test {
extern const tested_backend backend_under_test = tested_backend::raft;
}
