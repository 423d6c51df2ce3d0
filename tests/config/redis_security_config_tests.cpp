// The redis backend's credentials and TLS keys: read from every source,
// partial settings refused at load, the password file read then, and a
// password never shown in a message.
#include "config_test_support.hpp"

using namespace dref::config;
using namespace dref::config_tests;

BOOST_AUTO_TEST_SUITE(config_redis_security)

BOOST_AUTO_TEST_CASE(credentials_and_tls_come_from_every_source) {
  BOOST_TEST((load_ok(inputs()).redis_security == redis_security{}));
  test_certs certs;
  auto toml = certs.write("node.toml", "[redis]\nusername = \"dref\"\npassword = \"pw\"\n"
                                       "tls = true\ntls_ca = \"" +
                                           certs.file("ca.pem") + "\"\n");
  auto cfg = load_ok(inputs({"--config", toml, "--redis-tls-certificate", certs.file("member.pem")},
                            {{"DREF_REDIS_TLS_KEY", certs.file("member.key")},
                             {"DREF_REDIS_TLS_SERVER_NAME", "localhost"}}));
  const auto& redis = cfg.redis_security;
  BOOST_TEST(redis.username == "dref");
  BOOST_TEST(redis.password == "pw");
  BOOST_TEST(redis.tls);
  BOOST_TEST(redis.tls_ca == certs.file("ca.pem"));
  BOOST_TEST(redis.tls_certificate == certs.file("member.pem"));
  BOOST_TEST(redis.tls_key == certs.file("member.key"));
  BOOST_TEST(redis.tls_server_name == "localhost");
  auto help = help_text();
  for (auto part : {"--redis-username / DREF_REDIS_USERNAME / redis.username",
                    "--redis-password / DREF_REDIS_PASSWORD / redis.password",
                    "--redis-password-file / DREF_REDIS_PASSWORD_FILE / redis.password_file",
                    "--redis-tls / DREF_REDIS_TLS / redis.tls", "redis.tls_ca",
                    "redis.tls_certificate", "redis.tls_key", "redis.tls_server_name"})
    BOOST_TEST(contains(help, part), "help lacks " << part);
}

BOOST_AUTO_TEST_CASE(the_password_file_gives_its_first_line) {
  temp_dir dir;
  auto file = dir.write("redis.pass", "from a file\nignored\n");
  auto cfg = load_ok(inputs({"--redis-password-file", file, "--redis-username", "dref"}));
  BOOST_TEST(cfg.redis_security.password == "from a file");
  auto message = load_error(inputs({"--redis-password-file", (dir.path / "missing").string()}));
  BOOST_TEST(contains(message, "cannot read"), message);
  message = load_error(inputs({"--redis-password-file", dir.write("empty", "\n")}));
  BOOST_TEST(contains(message, "empty line"), message);
  message = load_error(inputs({"--redis-password-file", file}, {{"DREF_REDIS_PASSWORD", "x"}}));
  BOOST_TEST(contains(message, "give one of them"), message);
}

BOOST_AUTO_TEST_CASE(partial_settings_are_refused_and_secrets_never_shown) {
  auto message = load_error(inputs({"--redis-username", "dref"}));
  BOOST_TEST(contains(message, "redis.username"), message);
  BOOST_TEST(contains(message, "needs redis.password"), message);
  message = load_error(inputs({"--redis-tls-ca", "/ca.pem"}));
  BOOST_TEST(contains(message, "redis.tls is false"), message);
  message = load_error(inputs({"--redis-tls"}));
  BOOST_TEST(contains(message, "needs redis.tls_ca"), message);
  test_certs certs;
  message = load_error(inputs({"--redis-tls", "--redis-tls-ca", certs.file("ca.pem"),
                               "--redis-tls-certificate", certs.file("member.pem")}));
  BOOST_TEST(contains(message, "redis.tls_certificate (from --redis-tls-certificate="), message);
  BOOST_TEST(contains(message, "go together"), message);
  message = load_error(inputs({"--redis-tls", "--redis-tls-ca", certs.file("member.key")}));
  BOOST_TEST(contains(message, "redis.tls_ca: cannot load"), message);
  message = load_error(
      inputs({"--redis-tls", "--redis-tls-ca", certs.file("ca.pem"), "--redis-tls-certificate",
              certs.file("member.pem"), "--redis-tls-key", certs.file("ca.key")}));
  BOOST_TEST(contains(message, "is not the key of redis.tls_certificate"), message);
  // A bad value elsewhere makes load() print every origin: no password in it.
  message =
      load_error(inputs({"--redis-password", "hunter2", "--port", "0"},
                        {{"DREF_REDIS_PASSWORD", "hunter3"}, {"DREF_TLS_KEY_PASSPHRASE", "x"}}));
  message += load_error(inputs({"--redis-password", "hunter2", "--redis-password-file", "/f"}));
  message += load_error(inputs({"--redis-password="}));
  BOOST_TEST(!contains(message, "hunter"), message);
  BOOST_TEST(contains(message, "--redis-password=(secret)"), message);
}

BOOST_AUTO_TEST_SUITE_END()
