// The dashboard in a real browser (tests/gateway/browser/README.md): headless
// Chromium, driven through its DevTools protocol, opens a member's page with
// a token, must show three members and the leader, and a value written
// through the API must appear on the page within a second. The screenshot
// is kept in the build tree (DREF_ARTIFACTS/dashboard.png).

#include "gateway_cluster.hpp"

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>

using namespace dref;
using test::gateway_cluster;
namespace fs = std::filesystem;

BOOST_AUTO_TEST_SUITE(gateway_dashboard)

BOOST_AUTO_TEST_CASE(a_browser_shows_the_members_the_leader_and_a_write_within_a_second) {
  fs::create_directories(DREF_ARTIFACTS);
  auto tokens = fs::path{DREF_ARTIFACTS} / "dashboard-tokens";
  std::ofstream{tokens} << "page-token write\n";
  auto screenshot = fs::path{DREF_ARTIFACTS} / "dashboard.png";
  fs::remove(screenshot);
  gateway_cluster g{{"--http-tokens-file", tokens.string()}};
  g.wait_ready({{"Authorization", "Bearer page-token"}});
  auto page = "http://127.0.0.1:" + std::to_string(g.http_ports[1]);
  auto command = "node " + test::shell_quoted(DREF_BROWSER_TEST) + " --url " + page + "/" +
                 " --write " + page + " --token page-token --screenshot " +
                 test::shell_quoted(screenshot.string()) + " 2>&1";
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  BOOST_TEST_REQUIRE(pipe);
  char buffer[4096];
  while (auto n = std::fread(buffer, 1, sizeof buffer, pipe))
    output.append(buffer, n);
  int status = ::pclose(pipe);
  BOOST_TEST_MESSAGE(output);
  BOOST_TEST(WIFEXITED(status));
  BOOST_TEST(WEXITSTATUS(status) == 0, output);
  BOOST_TEST(output.find("dashboard: 3 members, leader node-") != std::string::npos, output);
  BOOST_TEST(fs::exists(screenshot));
}

BOOST_AUTO_TEST_SUITE_END()
