// The shell examples of docs/http.md (every line of its ```sh blocks), run
// with curl against a three-member cluster: the doc cannot rot.

#include "gateway_cluster.hpp"

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <fstream>

using namespace dref;
using test::gateway_cluster;

namespace {

std::vector<std::string> shell_examples(const std::string& path) {
  std::ifstream doc{path};
  BOOST_REQUIRE_MESSAGE(doc, path << " can be read");
  std::vector<std::string> lines;
  bool in_shell = false;
  for (std::string line; std::getline(doc, line);) {
    if (line.starts_with("```"))
      in_shell = !in_shell && line == "```sh";
    else if (in_shell && !line.empty())
      lines.push_back(line);
  }
  return lines;
}

} // namespace

BOOST_AUTO_TEST_SUITE(gateway_doc)

BOOST_AUTO_TEST_CASE(curl_examples_of_the_doc_run) {
  auto examples = shell_examples(DREF_DOCS_HTTP);
  BOOST_TEST_REQUIRE(examples.size() >= 8u);
  gateway_cluster g;
  g.wait_ready();
  ::setenv("DREF_HTTP", ("http://127.0.0.1:" + std::to_string(g.http_ports[1])).c_str(), 1);
  for (const auto& line : examples) {
    auto command = "bash -c " + test::shell_quoted("set -e -o pipefail; " + line) + " >/dev/null";
    BOOST_TEST(std::system(command.c_str()) == 0, line);
  }
  // What the examples wrote is there.
  auto mode = test::json_of(g.call(0, {"GET", "/v1/refs/config/mode"}));
  BOOST_TEST(mode["value"] == "safe");
  auto visits = test::json_of(g.call(2, {"GET", "/v1/refs/visits"}));
  BOOST_TEST(visits["encoding"] == "base64");
  BOOST_TEST(visits["value"] == "AwAAAAAAAAA="); // 1 (/add), then 2 (/run add_i64)
}

BOOST_AUTO_TEST_SUITE_END()
