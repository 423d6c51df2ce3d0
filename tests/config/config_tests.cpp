#include "config_test_support.hpp"

using namespace dref::config;
using namespace dref::config_tests;
using dref::errc;
namespace fs = std::filesystem;

BOOST_AUTO_TEST_SUITE(config_defaults)

BOOST_AUTO_TEST_CASE(nothing_given_is_a_single_memory_node_on_port_8082) {
  auto cfg = load_ok(inputs());
  BOOST_TEST((cfg == node_config{}));
  BOOST_TEST(cfg.port == 8082);
  BOOST_TEST((cfg.backend == backend_kind::memory));
  BOOST_TEST(cfg.peers.empty());
}

BOOST_AUTO_TEST_CASE(help_lists_every_source_of_every_key) {
  auto help = help_text();
  for (auto part : {"--port", "DREF_PORT", "node.port", "DREF_NODE_ADDRESSES", "DREF_NODE_SERVICES",
                    "timeouts.election_ms", "(default: 8082)"})
    BOOST_TEST(contains(help, part), "help lacks " << part);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(config_file)

BOOST_AUTO_TEST_CASE(reads_every_section) {
  temp_dir dir;
  auto path = dir.write("node.toml", R"(
[node]
id = "n2"
cluster_id = "prod"
listen_host = "0.0.0.0"
port = 9000
backend = "raft"
data_dir = "/tmp/n2"
[cluster]
peers = ["10.0.0.1:9000", "[::1]:9001", "db.example:9002"]
node_addresses = ["10.0.0.5"]
[redis]
address = "redis.local:6380"
key_prefix = "app:"
[timeouts]
election_ms = 500
heartbeat_ms = 100
session_ttl_ms = 10000
request_ms = 2000
[limits]
max_value_bytes = 4096
max_id_length = 64
max_cached_reply_bytes_per_client = 8192
max_cached_reply_bytes = 65536
)");
  auto cfg = load_ok(inputs({"--config", path}));
  BOOST_TEST(cfg.node_id == "n2");
  BOOST_TEST(cfg.cluster_id == "prod");
  BOOST_TEST(cfg.listen_host == "0.0.0.0");
  BOOST_TEST(cfg.port == 9000);
  BOOST_TEST((cfg.backend == backend_kind::raft));
  BOOST_TEST(cfg.data_dir == "/tmp/n2");
  BOOST_TEST_REQUIRE(cfg.peers.size() == 4u);
  BOOST_TEST(cfg.peers[1].to_string() == "[::1]:9001");
  BOOST_TEST(cfg.peers[2].host == "db.example");
  BOOST_TEST(cfg.peers[3].to_string() == "10.0.0.5:9000");
  BOOST_TEST(cfg.redis.to_string() == "redis.local:6380");
  BOOST_TEST(cfg.redis_key_prefix == "app:");
  BOOST_TEST(cfg.timeouts.election.count() == 500);
  BOOST_TEST(cfg.timeouts.heartbeat.count() == 100);
  BOOST_TEST(cfg.timeouts.session_ttl.count() == 10000);
  BOOST_TEST(cfg.timeouts.request.count() == 2000);
  BOOST_TEST(cfg.limits.max_value_bytes == 4096u);
  BOOST_TEST(cfg.limits.max_id_length == 64u);
  BOOST_TEST(cfg.limits.max_cached_reply_bytes_per_client == 8192u);
  BOOST_TEST(cfg.limits.max_cached_reply_bytes == 65536u);
}

BOOST_AUTO_TEST_CASE(path_from_DREF_CONFIG) {
  temp_dir dir;
  auto path = dir.write("node.toml", "[node]\nid = \"from-env-path\"\n");
  auto cfg = load_ok(inputs({}, {{"DREF_CONFIG", path}}));
  BOOST_TEST(cfg.node_id == "from-env-path");
}

BOOST_AUTO_TEST_CASE(unknown_key_names_key_file_and_line) {
  temp_dir dir;
  auto path = dir.write("node.toml", "[node]\nid = \"a\"\n\n[timeouts]\nelecton_ms = 5\n");
  auto message = load_error(inputs({"--config", path}));
  BOOST_TEST(contains(message, "timeouts.electon_ms"), message);
  BOOST_TEST(contains(message, path + ", line 5"), message);
  BOOST_TEST(contains(message, "unknown key"), message);
}

BOOST_AUTO_TEST_CASE(wrong_type_says_what_was_expected) {
  temp_dir dir;
  auto path = dir.write("node.toml", "[node]\nport = \"8082\"\n");
  auto message = load_error(inputs({"--config", path}));
  BOOST_TEST(contains(message, "node.port"), message);
  BOOST_TEST(contains(message, "expected an integer, found a string"), message);
  BOOST_TEST(contains(message, "a port number 1-65534"), message);
}

BOOST_AUTO_TEST_CASE(out_of_range_value_names_the_file) {
  temp_dir dir;
  auto path = dir.write("node.toml", "[node]\nport = 70000\n");
  auto message = load_error(inputs({"--config", path}));
  BOOST_TEST(contains(message, "node.port (file " + path + ", line 2)"), message);
  BOOST_TEST(contains(message, "70000 is out of range"), message);
}

BOOST_AUTO_TEST_CASE(list_with_a_non_string_is_refused) {
  temp_dir dir;
  auto path = dir.write("node.toml", "[cluster]\npeers = [\"a:1\", 2]\n");
  auto message = load_error(inputs({"--config", path}));
  BOOST_TEST(contains(message, "expected an array of strings"), message);
}

BOOST_AUTO_TEST_CASE(key_outside_a_section_is_refused) {
  temp_dir dir;
  auto path = dir.write("node.toml", "port = 1\n");
  auto message = load_error(inputs({"--config", path}));
  BOOST_TEST(contains(message, "[node]"), message);
}

BOOST_AUTO_TEST_CASE(syntax_error_gives_line_and_column) {
  temp_dir dir;
  auto path = dir.write("node.toml", "[node]\nid = \"unterminated\n");
  auto message = load_error(inputs({"--config", path}));
  BOOST_TEST(contains(message, "not valid TOML"), message);
  BOOST_TEST(contains(message, "line 2"), message);
}

BOOST_AUTO_TEST_CASE(missing_file_is_an_error_not_defaults) {
  auto message = load_error(inputs({"--config", "/nonexistent/dref.toml"}));
  BOOST_TEST(contains(message, "cannot read config file /nonexistent/dref.toml"), message);
}

BOOST_AUTO_TEST_CASE(example_files_all_load) {
  auto in = inputs();
  in.resolver = fake_dns({{"dref.internal.example", {"10.1.0.1", "10.1.0.2"}}});
  int loaded = 0;
  for (const auto& entry : fs::directory_iterator{DREF_CONFIG_EXAMPLES_DIR}) {
    in.args = {"--config", entry.path().string()};
    auto cfg = load(in);
    if (!cfg)
      BOOST_FAIL(entry.path() << ": " << cfg.error().message);
    ++loaded;
  }
  BOOST_TEST(loaded >= 4);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(config_environment)

BOOST_AUTO_TEST_CASE(node_addresses_use_the_cluster_port) {
  auto cfg = load_ok(
      inputs({}, {{"DREF_NODE_ADDRESSES", "10.0.0.1, 10.0.0.2,fd00::3"}, {"DREF_PORT", "9100"}}));
  BOOST_TEST_REQUIRE(cfg.peers.size() == 3u);
  BOOST_TEST(cfg.peers[0].to_string() == "10.0.0.1:9100");
  BOOST_TEST(cfg.peers[1].to_string() == "10.0.0.2:9100");
  BOOST_TEST(cfg.peers[2].to_string() == "[fd00::3]:9100");
}

BOOST_AUTO_TEST_CASE(port_defaults_to_8082) {
  auto cfg = load_ok(inputs({}, {{"DREF_NODE_ADDRESSES", "10.0.0.1"}}));
  BOOST_TEST_REQUIRE(cfg.peers.size() == 1u);
  BOOST_TEST(cfg.peers[0].to_string() == "10.0.0.1:8082");
}

BOOST_AUTO_TEST_CASE(node_services_resolve_to_every_address) {
  auto in = inputs({}, {{"DREF_NODE_SERVICES", "dref-a,dref-b"},
                        {"DREF_PORT", "7000"},
                        {"DREF_NODE_ADDRESSES", "10.0.0.1"}});
  in.resolver = fake_dns({{"dref-a", {"10.0.0.1", "10.0.0.2"}}, {"dref-b", {"10.0.0.3"}}});
  auto cfg = load_ok(in);
  // 10.0.0.1 is both an address and a resolved one: listed once.
  BOOST_TEST_REQUIRE(cfg.peers.size() == 3u);
  BOOST_TEST(cfg.peers[0].to_string() == "10.0.0.1:7000");
  BOOST_TEST(cfg.peers[1].to_string() == "10.0.0.2:7000");
  BOOST_TEST(cfg.peers[2].to_string() == "10.0.0.3:7000");
}

BOOST_AUTO_TEST_CASE(system_resolver_resolves_localhost) {
  auto in = inputs({}, {{"DREF_NODE_SERVICES", "localhost"}});
  in.resolver = resolve_with_system;
  auto cfg = load_ok(in);
  BOOST_TEST_REQUIRE(!cfg.peers.empty());
  bool loopback = false;
  for (const auto& peer : cfg.peers)
    loopback = loopback || peer.host == "127.0.0.1" || peer.host == "::1";
  BOOST_TEST(loopback);
}

BOOST_AUTO_TEST_CASE(unresolvable_service_is_an_error) {
  auto message = load_error(inputs({}, {{"DREF_NODE_SERVICES", "nowhere"}}));
  BOOST_TEST(contains(message, "'nowhere'"), message);
  BOOST_TEST(contains(message, "does not resolve"), message);
  BOOST_TEST(contains(message, "DREF_NODE_SERVICES=\"nowhere\" (environment)"), message);
}

BOOST_AUTO_TEST_CASE(every_other_key_has_a_variable) {
  auto cfg = load_ok(inputs({}, {{"DREF_NODE_ID", "n7"},
                                 {"DREF_CLUSTER_ID", "c"},
                                 {"DREF_LISTEN_HOST", "::"},
                                 {"DREF_DATA_DIR", "/d"},
                                 {"DREF_BACKEND", "redis"},
                                 {"DREF_PEERS", "a:1,b:2"},
                                 {"DREF_REDIS_ADDRESS", "r:1"},
                                 {"DREF_REDIS_KEY_PREFIX", "p:"},
                                 {"DREF_ELECTION_TIMEOUT_MS", "1000"},
                                 {"DREF_HEARTBEAT_MS", "20"},
                                 {"DREF_SESSION_TTL_MS", "500"},
                                 {"DREF_REQUEST_TIMEOUT_MS", "50"},
                                 {"DREF_MAX_VALUE_BYTES", "10"},
                                 {"DREF_MAX_ID_LENGTH", "8"},
                                 {"DREF_MAX_CACHED_REPLY_BYTES_PER_CLIENT", "5000"},
                                 {"DREF_MAX_CACHED_REPLY_BYTES", "6000"},
                                 {"DREF_UNRELATED", "ignored"}}));
  BOOST_TEST(cfg.node_id == "n7");
  BOOST_TEST(cfg.cluster_id == "c");
  BOOST_TEST(cfg.listen_host == "::");
  BOOST_TEST(cfg.data_dir == "/d");
  BOOST_TEST((cfg.backend == backend_kind::redis));
  BOOST_TEST(cfg.peers.size() == 2u);
  BOOST_TEST(cfg.redis.to_string() == "r:1");
  BOOST_TEST(cfg.redis_key_prefix == "p:");
  BOOST_TEST(cfg.timeouts.election.count() == 1000);
  BOOST_TEST(cfg.timeouts.heartbeat.count() == 20);
  BOOST_TEST(cfg.timeouts.session_ttl.count() == 500);
  BOOST_TEST(cfg.timeouts.request.count() == 50);
  BOOST_TEST(cfg.limits.max_value_bytes == 10u);
  BOOST_TEST(cfg.limits.max_id_length == 8u);
  BOOST_TEST(cfg.limits.max_cached_reply_bytes_per_client == 5000u);
  BOOST_TEST(cfg.limits.max_cached_reply_bytes == 6000u);
}

BOOST_AUTO_TEST_CASE(bad_values_name_variable_value_and_what_is_allowed) {
  struct bad_case {
    std::string variable;
    std::string value;
    std::string says;
  };
  for (const auto& c : std::vector<bad_case>{
           {"DREF_PORT", "80a", "not a whole decimal number"},
           {"DREF_PORT", "0", "0 is out of range"},
           {"DREF_PORT", "", "not a whole decimal number"},
           {"DREF_NODE_ADDRESSES", "10.0.0.1,,10.0.0.2", "empty item"},
           {"DREF_NODE_ADDRESSES", "my-host", "'my-host' is not an IP address"},
           {"DREF_NODE_SERVICES", "bad_name!", "is not a DNS name"},
           {"DREF_BACKEND", "etcd", "'etcd' is not a backend"},
           {"DREF_NODE_ID", "has space", "is not a plain id"},
           {"DREF_PEERS", "host-without-port", "has no port"},
           {"DREF_PEERS", "::1:80", "write IPv6 addresses as [address]:port"},
           {"DREF_REDIS_ADDRESS", "r:99999", "is not a port number"},
           {"DREF_ELECTION_TIMEOUT_MS", "5", "5 is out of range"},
       }) {
    auto message = load_error(inputs({}, {{c.variable, c.value}}));
    BOOST_TEST(contains(message, c.variable + "=\"" + c.value + "\" (environment)"), message);
    BOOST_TEST(contains(message, c.says), message);
    BOOST_TEST(contains(message, "allowed:"), message);
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(config_command_line)

BOOST_AUTO_TEST_CASE(both_flag_forms) {
  auto cfg = load_ok(inputs({"--node-id=n3", "--port", "9300", "--peers", "a:1, b:2"}));
  BOOST_TEST(cfg.node_id == "n3");
  BOOST_TEST(cfg.port == 9300);
  BOOST_TEST(cfg.peers.size() == 2u);
}

BOOST_AUTO_TEST_CASE(unknown_flag_missing_value_and_stray_word) {
  auto message = load_error(inputs({"--prot=1", "positional", "--node-id"}));
  BOOST_TEST(contains(message, "3 problems"), message);
  BOOST_TEST(contains(message, "--prot (command line): unknown option"), message);
  BOOST_TEST(contains(message, "'positional' (command line)"), message);
  BOOST_TEST(contains(message, "--node-id (command line): needs a value"), message);
}

BOOST_AUTO_TEST_CASE(bad_value_names_flag) {
  auto message = load_error(inputs({"--session-ttl-ms=fast"}));
  BOOST_TEST(contains(message, "--session-ttl-ms=fast (command line)"), message);
  BOOST_TEST(contains(message, "milliseconds"), message);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(config_precedence)

BOOST_AUTO_TEST_CASE(file_then_environment_then_command_line) {
  temp_dir dir;
  auto path = dir.write("node.toml", "[node]\nid = \"file\"\nport = 1001\ncluster_id = \"f\"\n"
                                     "data_dir = \"/file\"\n");
  auto cfg = load_ok(inputs({"--config", path, "--node-id", "cli"},
                            {{"DREF_NODE_ID", "env"}, {"DREF_PORT", "1002"}}));
  BOOST_TEST(cfg.node_id == "cli");
  BOOST_TEST(cfg.port == 1002);
  BOOST_TEST(cfg.cluster_id == "f");
  BOOST_TEST(cfg.data_dir == "/file");
}

BOOST_AUTO_TEST_CASE(every_problem_of_every_source_is_reported) {
  temp_dir dir;
  auto path = dir.write("node.toml", "[node]\nport = -1\n");
  auto message =
      load_error(inputs({"--config", path, "--backend=zk"}, {{"DREF_MAX_ID_LENGTH", "0"}}));
  BOOST_TEST(contains(message, "3 problems"), message);
  BOOST_TEST(contains(message, "node.port (file"), message);
  BOOST_TEST(contains(message, "DREF_MAX_ID_LENGTH=\"0\" (environment)"), message);
  BOOST_TEST(contains(message, "--backend=zk (command line)"), message);
}

BOOST_AUTO_TEST_CASE(heartbeat_must_be_well_below_election_timeout) {
  auto message = load_error(inputs({"--heartbeat-ms=200"}, {{"DREF_ELECTION_TIMEOUT_MS", "300"}}));
  BOOST_TEST(contains(message, "--heartbeat-ms=200 (command line)"), message);
  BOOST_TEST(contains(message, "DREF_ELECTION_TIMEOUT_MS=\"300\" (environment)"), message);
  BOOST_TEST(contains(message, "at most half"), message);
}

// The test-only fsync failpoint: off by default, from each source, marked
// as test-only in --help, never negative.
BOOST_AUTO_TEST_CASE(the_fsync_failpoint_is_off_unless_set_and_marked_test_only) {
  BOOST_TEST(load_ok(inputs()).failpoints.fail_fsync_after == 0u);
  temp_dir dir;
  auto path = dir.write("node.toml", "[failpoints]\nfail_fsync_after = 7\n");
  BOOST_TEST(load_ok(inputs({"--config", path})).failpoints.fail_fsync_after == 7u);
  BOOST_TEST(load_ok(inputs({}, {{"DREF_FAILPOINTS_FAIL_FSYNC_AFTER", "8"}}))
                 .failpoints.fail_fsync_after == 8u);
  BOOST_TEST(load_ok(inputs({"--failpoints-fail-fsync-after", "9"})).failpoints.fail_fsync_after ==
             9u);
  auto message = load_error(inputs({"--failpoints-fail-fsync-after=-1"}));
  BOOST_TEST(contains(message, "out of range"), message);
  auto help = help_text();
  BOOST_TEST(contains(help, "--failpoints-fail-fsync-after / DREF_FAILPOINTS_FAIL_FSYNC_AFTER / "
                            "failpoints.fail_fsync_after"),
             help);
  BOOST_TEST(contains(help, "TEST ONLY"), help);
}

BOOST_AUTO_TEST_CASE(raft_backend_needs_a_data_dir) {
  auto message = load_error(inputs({"--backend", "raft"}));
  BOOST_TEST(contains(message, "needs node.data_dir"), message);
  auto cfg = load_ok(inputs({"--backend", "raft", "--data-dir", "/tmp/x"}));
  BOOST_TEST((cfg.backend == backend_kind::raft));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(config_durations)

BOOST_AUTO_TEST_CASE(a_number_with_a_unit) {
  using namespace std::chrono_literals;
  BOOST_TEST((parse_duration("500ms").value() == 500ms));
  BOOST_TEST((parse_duration("5s").value() == 5000ms));
  BOOST_TEST((parse_duration("1m").value() == 60000ms));
  BOOST_TEST((parse_duration(" 3s ").value() == 3000ms)); // trimmed, like integer keys
  BOOST_TEST((parse_duration("0s").value() == 0ms));
}

BOOST_AUTO_TEST_CASE(a_bare_number_an_unknown_unit_or_no_number_is_refused) {
  for (const char* text : {"5", "5h", "5 s", "1.5s", "-5s", "+5s", "s", "", "99999999999999999m"}) {
    auto parsed = parse_duration(text);
    BOOST_TEST_REQUIRE(!parsed.has_value(), text);
    BOOST_TEST((parsed.error().code == errc::invalid_argument));
    BOOST_TEST(contains(parsed.error().message, "'" + std::string{text} + "'"),
               parsed.error().message);
  }
  BOOST_TEST(contains(parse_duration("5").error().message, "needs a unit: ms, s or m"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(config_tls)

BOOST_AUTO_TEST_CASE(tls_is_off_by_default_and_read_from_every_source) {
  BOOST_TEST(!load_ok(inputs()).tls.enabled());
  test_certs certs;
  auto toml = certs.write("node.toml", "[tls]\ncertificate = \"" + certs.file("member.pem") +
                                           "\"\nkey = \"" + certs.file("member.key") + "\"\n");
  auto cfg = load_ok(inputs({"--config", toml, "--tls-ca", certs.file("ca.pem")}));
  BOOST_TEST(cfg.tls.enabled());
  BOOST_TEST(cfg.tls.certificate == certs.file("member.pem"));
  BOOST_TEST(cfg.tls.key == certs.file("member.key"));
  BOOST_TEST(cfg.tls.ca == certs.file("ca.pem"));
  auto from_env = load_ok(inputs({}, {{"DREF_TLS_CERTIFICATE", certs.file("member.pem")},
                                      {"DREF_TLS_KEY", certs.file("member.key")},
                                      {"DREF_TLS_CA", certs.file("ca.pem")}}));
  BOOST_TEST((from_env.tls == cfg.tls));
  auto help = help_text();
  for (auto part : {"--tls-certificate / DREF_TLS_CERTIFICATE / tls.certificate",
                    "--tls-key / DREF_TLS_KEY / tls.key", "--tls-ca / DREF_TLS_CA / tls.ca",
                    "DREF_TLS_KEY_PASSPHRASE", "--insecure / DREF_INSECURE / node.insecure"})
    BOOST_TEST(contains(help, part), "help lacks " << part);
}

// A partial setting would give CAF's unauthenticated ciphers: refused.
BOOST_AUTO_TEST_CASE(certificate_key_and_ca_go_together) {
  test_certs certs;
  auto message = load_error(inputs({"--tls-certificate", certs.file("member.pem")},
                                   {{"DREF_TLS_KEY", certs.file("member.key")}}));
  BOOST_TEST(contains(message, "go together"), message);
  BOOST_TEST(contains(message, "--tls-certificate=" + certs.file("member.pem")), message);
  BOOST_TEST(contains(message, "DREF_TLS_KEY="), message);
  BOOST_TEST(contains(message, "missing: tls.ca"), message);
  message = load_error(inputs({"--tls-key-passphrase", "x"}));
  BOOST_TEST(contains(message, "without tls.key"), message);
}

// CAF reads these files at every connection and aborts the process when one
// fails to load: a bad file must stop the program at start.
BOOST_AUTO_TEST_CASE(unusable_files_are_refused_at_load) {
  test_certs certs;
  auto with = [&](std::string cert, std::string key, std::string ca) {
    return load_error(inputs({"--tls-certificate", cert, "--tls-key", key, "--tls-ca", ca}));
  };
  auto cert = certs.file("member.pem");
  auto key = certs.file("member.key");
  auto ca = certs.file("ca.pem");
  auto message = with(certs.file("missing.pem"), key, ca);
  BOOST_TEST(contains(message, "tls.certificate: cannot load " + certs.file("missing.pem")),
             message);
  message = with(cert, certs.write("junk.key", "not a key"), ca);
  BOOST_TEST(contains(message, "tls.key: cannot load"), message);
  message = with(cert, certs.file("ca.key"), ca);
  BOOST_TEST(contains(message, "is not the key of tls.certificate"), message);
  message = with(cert, key, certs.file("missing-ca.pem"));
  BOOST_TEST(contains(message, "tls.ca: cannot load"), message);
}

BOOST_AUTO_TEST_CASE(an_encrypted_key_needs_its_passphrase) {
  test_certs certs;
  auto encrypted = certs.file("member.enc.key");
  std::string command = "openssl pkey -in " + certs.file("member.key") +
                        " -aes256 -passout pass:sesame -out " + encrypted;
  BOOST_TEST_REQUIRE(std::system(command.c_str()) == 0);
  std::vector<std::string> args{"--tls-certificate", certs.file("member.pem"),
                                "--tls-key",         encrypted,
                                "--tls-ca",          certs.file("ca.pem")};
  auto message = load_error(inputs(args));
  BOOST_TEST(contains(message, "encrypted keys need tls.key_passphrase"), message);
  auto wrong = args;
  wrong.insert(wrong.end(), {"--tls-key-passphrase", "open"});
  BOOST_TEST(contains(load_error(inputs(wrong)), "with tls.key_passphrase"));
  auto cfg = load_ok(inputs(args, {{"DREF_TLS_KEY_PASSPHRASE", "sesame"}}));
  BOOST_TEST(cfg.tls.key_passphrase == "sesame");
}

// --insecure is a switch: alone it means true and leaves the next word be.
BOOST_AUTO_TEST_CASE(insecure_is_a_switch_from_every_source) {
  BOOST_TEST(!load_ok(inputs()).insecure);
  auto cfg = load_ok(inputs({"--insecure", "--node-id", "n9"}));
  BOOST_TEST(cfg.insecure);
  BOOST_TEST(cfg.node_id == "n9");
  BOOST_TEST(!load_ok(inputs({"--insecure=false"})).insecure);
  BOOST_TEST(load_ok(inputs({}, {{"DREF_INSECURE", "true"}})).insecure);
  temp_dir dir;
  BOOST_TEST(
      load_ok(inputs({"--config", dir.write("n.toml", "[node]\ninsecure = true\n")})).insecure);
  auto message = load_error(inputs({"--config", dir.write("m.toml", "[node]\ninsecure = 1\n")}));
  BOOST_TEST(contains(message, "expected a boolean"), message);
  message = load_error(inputs({}, {{"DREF_INSECURE", "yes"}}));
  BOOST_TEST(contains(message, "not true, false, 1 or 0"), message);
}

BOOST_AUTO_TEST_SUITE_END()
