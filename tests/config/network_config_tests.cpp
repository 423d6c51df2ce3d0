// The TLS bounds and the client port's caps (config::network,
// docs/security.md "Bounds") from every source, and max_message_bytes
// against what the limits need.

#include "config_test_support.hpp"

using namespace dref::config_tests;

BOOST_AUTO_TEST_SUITE(network_config)

BOOST_AUTO_TEST_CASE(bounds_come_from_every_source) {
  auto defaults = load_ok(inputs());
  BOOST_TEST(defaults.network.max_message_bytes == 128ull << 20);
  BOOST_TEST(defaults.network.max_connections == 512u);
  BOOST_TEST(defaults.network.handshake_timeout.count() == 10000);
  temp_dir dir;
  auto file = dir.write("n.toml", "[network]\nmax_message_bytes = 100000000\n"
                                  "max_connections = 64\nhandshake_timeout_ms = 2000\n");
  auto cfg = load_ok(inputs({"--config", file}));
  BOOST_TEST(cfg.network.max_message_bytes == 100000000u);
  BOOST_TEST(cfg.network.max_connections == 64u);
  BOOST_TEST(cfg.network.handshake_timeout.count() == 2000);
  cfg = load_ok(inputs({"--max-connections", "9"},
                       {{"DREF_HANDSHAKE_TIMEOUT_MS", "300"}, {"DREF_MAX_CONNECTIONS", "7"}}));
  BOOST_TEST(cfg.network.max_connections == 9u); // the command line wins
  BOOST_TEST(cfg.network.handshake_timeout.count() == 300);
  auto message = load_error(inputs({"--max-connections", "0"}));
  BOOST_TEST(contains(message, "--max-connections"), message);
}

BOOST_AUTO_TEST_CASE(client_port_caps_come_from_every_source) {
  auto defaults = load_ok(inputs());
  BOOST_TEST(defaults.network.max_pending_requests == 65536u);
  BOOST_TEST(defaults.network.max_watchers == 65536u);
  temp_dir dir;
  auto file = dir.write("c.toml", "[network]\nmax_pending_requests = 100\nmax_watchers = 20\n");
  auto cfg = load_ok(inputs({"--config", file}));
  BOOST_TEST(cfg.network.max_pending_requests == 100u);
  BOOST_TEST(cfg.network.max_watchers == 20u);
  cfg = load_ok(inputs({"--max-watchers", "3"},
                       {{"DREF_MAX_PENDING_REQUESTS", "5"}, {"DREF_MAX_WATCHERS", "4"}}));
  BOOST_TEST(cfg.network.max_pending_requests == 5u);
  BOOST_TEST(cfg.network.max_watchers == 3u); // the command line wins
  auto message = load_error(inputs({"--max-pending-requests", "0"}));
  BOOST_TEST(contains(message, "--max-pending-requests"), message);
}

BOOST_AUTO_TEST_CASE(the_default_message_bound_grows_with_the_value_limit) {
  auto cfg = load_ok(inputs({"--max-value-bytes", std::to_string(100 << 20)}));
  BOOST_TEST(cfg.network.max_message_bytes == min_message_bytes(cfg.limits));
  BOOST_TEST(cfg.network.max_message_bytes == (200ull << 20) + (65ull << 20));
}

BOOST_AUTO_TEST_CASE(a_message_bound_given_below_the_need_names_both_keys) {
  auto message = load_error(inputs({"--max-message-bytes", std::to_string(100 << 20),
                                    "--max-value-bytes", std::to_string(64 << 20)}));
  BOOST_TEST(contains(message, "network.max_message_bytes = 104857600"), message);
  BOOST_TEST(contains(message, "limits.max_value_bytes = 67108864"), message);
  BOOST_TEST(load_ok(inputs({"--max-message-bytes", std::to_string(70254592)}))
                 .network.max_message_bytes == 70254592u);
}

BOOST_AUTO_TEST_SUITE_END()
