// The conformance suites run on the redis backend here, over TLS and as an
// ACL user that may not run @dangerous commands nor touch keys outside the
// suite's prefix.
#include "cluster_fixture.hpp"

namespace dref::test {
extern const tested_backend backend_under_test = tested_backend::redis_tls_acl;
}
