#pragma once
// Throw-away certificates for one test, made by scripts/make-test-certs in
// a scratch directory that goes with the object (private keys are never
// committed). Each set is a directory with a CA of its own and the names
// signed by it, valid for 127.0.0.1 and localhost. The including target
// defines DREF_MAKE_TEST_CERTS as the script's path.

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <stdlib.h>
#include <string>
#include <vector>

namespace dref::test {

class test_certs {
public:
  struct set {
    std::string dir;   // under the scratch directory; "" for the top
    std::string names; // space-separated, e.g. "server client"
  };

  explicit test_certs(const std::vector<set>& sets) {
    std::string pattern = (std::filesystem::temp_directory_path() / "dref-certs-XXXXXX").string();
    root_ = ::mkdtemp(pattern.data());
    for (const auto& s : sets)
      BOOST_REQUIRE(std::system((std::string{DREF_MAKE_TEST_CERTS} + " " +
                                 (root_ / s.dir).string() + " " + s.names + " >/dev/null")
                                    .c_str()) == 0);
  }
  test_certs(const test_certs&) = delete;
  test_certs& operator=(const test_certs&) = delete;
  ~test_certs() {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }

  std::string certificate(const std::string& name, const std::string& dir = {}) const {
    return (root_ / dir / (name + ".pem")).string();
  }
  std::string key(const std::string& name, const std::string& dir = {}) const {
    return (root_ / dir / (name + ".key")).string();
  }
  std::string ca(const std::string& dir = {}) const { return (root_ / dir / "ca.pem").string(); }

private:
  std::filesystem::path root_;
};

} // namespace dref::test
