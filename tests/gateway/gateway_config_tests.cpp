// The http.* keys load like every other key: TOML, DREF_* variables and
// flags, later sources winning, bad values refused with the key's name.

#include "dref/config/load.hpp"

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>

using namespace dref;
namespace fs = std::filesystem;

BOOST_AUTO_TEST_SUITE(gateway_config)

BOOST_AUTO_TEST_CASE(http_keys_from_every_source) {
  auto defaults = config::load({});
  BOOST_TEST_REQUIRE(defaults.has_value());
  BOOST_TEST(defaults->http.port == 0u); // off unless configured
  BOOST_TEST(defaults->http.listen == "127.0.0.1");

  auto toml = fs::temp_directory_path() / ("dref-http-" + std::to_string(::getpid()) + ".toml");
  std::ofstream{toml} << "[http]\nlisten = \"0.0.0.0\"\nport = 8443\ntokens_file = \"/t\"\n"
                         "max_body_bytes = 4096\nmax_header_bytes = 2048\n"
                         "header_timeout_ms = 1500\nmax_connections = 9\nmax_websockets = 5\n"
                         "workers = 8\nmax_stream_backlog_bytes = 8192\n";
  config::load_inputs inputs;
  inputs.args = {"--config", toml.string(), "--http-max-connections", "12"};
  inputs.env = {{"DREF_HTTP_PORT", "8444"}, {"DREF_HTTP_WORKERS", "6"}};
  auto loaded = config::load(inputs);
  fs::remove(toml);
  BOOST_TEST_REQUIRE(loaded.has_value(), (loaded ? "" : loaded.error().message));
  BOOST_TEST(loaded->http.listen == "0.0.0.0");
  BOOST_TEST(loaded->http.port == 8444u); // the environment over the file
  BOOST_TEST(loaded->http.tokens_file == "/t");
  BOOST_TEST(loaded->http.max_body_bytes == 4096u);
  BOOST_TEST(loaded->http.max_header_bytes == 2048u);
  BOOST_TEST(loaded->http.header_timeout.count() == 1500);
  BOOST_TEST(loaded->http.max_connections == 12u); // the flag over both
  BOOST_TEST(loaded->http.max_websockets == 5u);
  BOOST_TEST(loaded->http.workers == 6u);
  BOOST_TEST(loaded->http.max_stream_backlog_bytes == 8192u);
  BOOST_TEST(defaults->http.workers == 32u);
  BOOST_TEST(defaults->http.max_websockets == 64u);
  BOOST_TEST(defaults->http.max_stream_backlog_bytes == 1048576u);

  for (auto bad :
       std::vector<std::vector<std::string>>{{"--http-port", "70000"},
                                             {"--http-max-connections", "0"},
                                             {"--http-listen", "not a host"},
                                             {"--http-max-header-bytes", "10"},
                                             {"--http-workers", "0"},
                                             {"--http-max-websockets", "0"},
                                             {"--http-max-stream-backlog-bytes", "100"}}) {
    config::load_inputs refused;
    refused.args = bad;
    auto result = config::load(refused);
    BOOST_TEST_REQUIRE(!result.has_value(), bad[0]);
    BOOST_TEST(result.error().message.find(bad[0].substr(2)) != std::string::npos,
               result.error().message);
  }
}

BOOST_AUTO_TEST_SUITE_END()
