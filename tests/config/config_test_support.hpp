#pragma once
// What the configuration tests share: loading from given arguments and
// variables without touching the network, scratch files and certificates.

#include "dref/config/load.hpp"

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace dref::config_tests {

using namespace dref::config;

using dref::errc;
namespace fs = std::filesystem;

// A resolver that never touches the network: names map to fixed addresses.
inline resolver fake_dns(std::map<std::string, std::vector<std::string>> table) {
  return [table](const std::string& name) -> dref::result<std::vector<std::string>> {
    auto found = table.find(name);
    if (found == table.end())
      return dref::error{errc::unavailable, "Name or service not known"};
    return found->second;
  };
}

struct temp_dir {
  fs::path path;
  temp_dir() {
    std::string pattern = (fs::temp_directory_path() / "dref-config-XXXXXX").string();
    path = mkdtemp(pattern.data());
  }
  ~temp_dir() { fs::remove_all(path); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream{path / name} << text;
    return (path / name).string();
  }
};

inline load_inputs inputs(std::vector<std::string> args = {},
                          std::map<std::string, std::string> env = {}) {
  load_inputs in;
  in.args = std::move(args);
  in.env = std::move(env);
  in.resolver = fake_dns({});
  return in;
}

inline node_config load_ok(const load_inputs& in) {
  auto cfg = load(in);
  if (!cfg)
    BOOST_FAIL("load failed: " << cfg.error().message);
  return *cfg;
}

inline std::string load_error(const load_inputs& in) {
  auto cfg = load(in);
  BOOST_TEST_REQUIRE(!cfg.has_value());
  BOOST_TEST((cfg.error().code == errc::invalid_config));
  return cfg.error().message;
}

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A CA and a certificate from scripts/make-test-certs, made afresh in a
// scratch directory (private keys are never committed).
struct test_certs : temp_dir {
  test_certs() {
    std::string command =
        std::string{DREF_MAKE_TEST_CERTS} + " " + path.string() + " member >/dev/null";
    BOOST_TEST_REQUIRE(std::system(command.c_str()) == 0);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

} // namespace dref::config_tests
