// Named commands and queries over HTTP (POST /v1/refs/{id}/run and /query)
// against three dref-node processes that load the conformance suites'
// plugin (tests/conformance/test_commands.hpp): answers in the command's
// codec, one run per request, stale and linearizable queries, and each
// refusal with its status (the roles: gateway_access_tests.cpp).

#include "gateway_cluster.hpp"

#include <boost/test/unit_test.hpp>

using namespace dref;
using test::error_code;
using test::gateway_cluster;
using test::json_of;

namespace {

// 7 and 0 as binary_codec<std::int64_t> writes them (cereal: 8 bytes,
// little-endian), base64.
constexpr auto seven = "BwAAAAAAAAA=";
constexpr auto zero = "AAAAAAAAAAA=";

} // namespace

BOOST_AUTO_TEST_SUITE(gateway_commands)

BOOST_AUTO_TEST_CASE(commands_and_queries_run_on_any_member) {
  gateway_cluster g{{"--plugin", DREF_TEST_PLUGIN}};
  g.wait_ready();

  // Commands run on a value that is there (only add_i64 starts from none).
  BOOST_TEST_REQUIRE(g.call(0, {"PUT", "/v1/refs/notes", R"({"value": ""})"}).status == 200u);
  BOOST_TEST_REQUIRE(g.call(0, {"PUT", "/v1/refs/a/run/b", R"({"value": ""})"}).status == 200u);
  BOOST_TEST_REQUIRE(g.call(0, {"PUT", "/v1/refs/n",
                                std::string{R"({"encoding": "base64", "value": ")"} + zero + "\"}"})
                         .status == 200u);
  // A raw-bytes command: text in, text out, run once per request.
  auto appended =
      g.call(0, {"POST", "/v1/refs/notes/run", R"({"command": "test.append", "arg": "abc"})"});
  BOOST_TEST_REQUIRE(appended.status == 200u, appended.body);
  BOOST_TEST(json_of(appended)["answer"] == "3");
  BOOST_TEST(json_of(appended)["encoding"] == "text");
  BOOST_TEST(json_of(appended)["id"] == "notes");
  appended = g.call(1, {"POST", "/v1/refs/notes/run",
                        R"({"command": "test.append", "arg": "/wA=", "encoding": "base64"})"});
  BOOST_TEST_REQUIRE(appended.status == 200u, appended.body);
  BOOST_TEST(json_of(appended)["answer"] == "5");
  auto stored = json_of(g.call(2, {"GET", "/v1/refs/notes"}));
  BOOST_TEST(stored["value"] == "YWJj/wA="); // "abc" and 0xff 0x00
  BOOST_TEST(json_of(appended)["version"] == stored["version"]);

  // A binary-codec value: the answer is the value before (base64).
  auto set = g.call(
      0, {"POST", "/v1/refs/n/run",
          std::string{R"({"command": "int.set", "encoding": "base64", "arg": ")"} + seven + "\"}"});
  BOOST_TEST_REQUIRE(set.status == 200u, set.body);
  BOOST_TEST(json_of(set)["answer"] == zero);
  BOOST_TEST(json_of(set)["encoding"] == "base64");
  auto version = json_of(set)["version"].get<std::uint64_t>();

  // Queries: linearizable on another member at once, or stale from the
  // member's own state; no argument is the empty one (no_arg).
  auto asked = g.call(2, {"POST", "/v1/refs/n/query", R"({"query": "int.get"})"});
  BOOST_TEST_REQUIRE(asked.status == 200u, asked.body);
  BOOST_TEST(json_of(asked)["answer"] == seven);
  BOOST_TEST(json_of(asked)["version"] == version);
  auto stale = g.call(1, {"POST", "/v1/refs/n/query", R"({"query": "int.get", "stale": true})"});
  BOOST_TEST_REQUIRE(stale.status == 200u, stale.body);
  BOOST_TEST(json_of(stale)["version"].get<std::uint64_t>() <= version);
  // A query changes nothing.
  BOOST_TEST(json_of(g.call(0, {"GET", "/v1/refs/n"}))["version"] == version);

  // An id with '/' in it: the last /run is the operation.
  auto nested =
      g.call(1, {"POST", "/v1/refs/a/run/b/run", R"({"command": "test.append", "arg": "x"})"});
  BOOST_TEST_REQUIRE(nested.status == 200u, nested.body);
  BOOST_TEST(json_of(nested)["id"] == "a/run/b");
}

BOOST_AUTO_TEST_CASE(refusals_say_why_and_change_nothing) {
  gateway_cluster g{{"--plugin", DREF_TEST_PLUGIN}};
  g.wait_ready();
  BOOST_TEST_REQUIRE(g.call(0, {"PUT", "/v1/refs/c", R"({"value": "kept"})"}).status == 200u);
  BOOST_TEST_REQUIRE(g.call(0, {"PUT", "/v1/refs/d",
                                std::string{R"({"encoding": "base64", "value": ")"} + zero + "\"}"})
                         .status == 200u);
  auto before = json_of(g.call(0, {"GET", "/v1/refs/c"}));
  auto counter_before = json_of(g.call(0, {"GET", "/v1/refs/d"}));

  struct refusal {
    std::string target, body;
    unsigned status;
    std::string code;
  };
  const refusal refusals[] = {
      {"/v1/refs/c/run", R"({"command": "no.such"})", 400, "unknown_command"},
      {"/v1/refs/c/query", R"({"query": "no.such"})", 400, "unknown_command"},
      {"/v1/refs/c/run", R"({"arg": "x"})", 400, "invalid_argument"},
      {"/v1/refs/c/run", R"({"command": 5})", 400, "invalid_argument"},
      {"/v1/refs/c/run", R"({"command": "test.append", "arg": 5})", 400, "invalid_argument"},
      {"/v1/refs/c/run", R"({"command": "test.append", "arg": "*", "encoding": "base64"})", 400,
       "invalid_argument"},
      {"/v1/refs/c/query", R"({"query": "int.get", "stale": "yes"})", 400, "invalid_argument"},
      {"/v1/refs/c/run", "not json", 400, "bad_json"},
      {"/v1/refs/none/run", R"({"command": "test.append"})", 404, "not_found"},
      // "kept" is not an int64 in binary_codec: the command cannot read it.
      {"/v1/refs/c/run", R"({"command": "int.inc"})", 400, "wrong_type"},
      {"/v1/refs/c/query", R"({"query": "int.get"})", 400, "wrong_type"},
      // The command throws: nothing it changed stays.
      {"/v1/refs/d/run",
       R"({"command": "test.explode", "arg": "AQAAAAAAAAA=", "encoding": "base64"})", 400,
       "command_failed"},
  };
  for (const auto& r : refusals) {
    auto got = g.call(1, {"POST", r.target, r.body});
    BOOST_TEST_INFO(r.target << " " << r.body << ": " << got.body);
    BOOST_TEST(got.status == r.status);
    BOOST_TEST(error_code(got) == r.code);
  }
  BOOST_TEST(json_of(g.call(2, {"GET", "/v1/refs/c"})) == before);
  BOOST_TEST(json_of(g.call(2, {"GET", "/v1/refs/d"})) == counter_before);
  // GET is not how a command runs.
  BOOST_TEST(g.call(0, {"GET", "/v1/refs/c/run"}).status == 404u); // the id "c/run"
  BOOST_TEST(g.call(0, {"PATCH", "/v1/refs/c/run"}).status == 405u);
}

BOOST_AUTO_TEST_SUITE_END()
