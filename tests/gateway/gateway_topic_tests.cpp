// The topic routes against three dref-node processes: publish (text and
// base64), linearizable reads from a seq in pages, and retention (410 with
// the first seq still there).

#include "gateway_cluster.hpp"

#include <boost/test/unit_test.hpp>

using namespace dref;
using namespace std::chrono_literals;
using test::error_code;
using test::gateway_cluster;
using test::json_of;

BOOST_AUTO_TEST_SUITE(gateway_topics)

BOOST_AUTO_TEST_CASE(publish_then_read_from_a_seq_on_any_member) {
  gateway_cluster g{{"--topic-max-messages", "3"}};
  g.wait_ready();
  auto first = g.call(0, {"POST", "/v1/topics/news", R"({"message": "hello"})"});
  BOOST_TEST_REQUIRE(first.status == 200u, first.body);
  BOOST_TEST(json_of(first)["seq"] == 1);
  auto second =
      g.call(1, {"POST", "/v1/topics/news", R"({"message": "AAH/", "encoding": "base64"})"});
  BOOST_TEST_REQUIRE(second.status == 200u, second.body);
  BOOST_TEST(json_of(second)["seq"] == 2);

  // Linearizable on a third member: both are there at once.
  auto read = g.call(2, {"GET", "/v1/topics/news"});
  BOOST_TEST_REQUIRE(read.status == 200u, read.body);
  auto page = json_of(read);
  BOOST_TEST(page["first_seq"] == 1);
  BOOST_TEST(page["next_seq"] == 3);
  BOOST_TEST_REQUIRE(page["messages"].size() == 2u);
  BOOST_TEST(page["messages"][0]["message"] == "hello");
  BOOST_TEST(page["messages"][0]["encoding"] == "text");
  BOOST_TEST(page["messages"][1]["seq"] == 2);
  BOOST_TEST(page["messages"][1]["message"] == "AAH/");
  BOOST_TEST(page["messages"][1]["encoding"] == "base64");

  auto from_two = json_of(g.call(0, {"GET", "/v1/topics/news?from=2&limit=1"}));
  BOOST_TEST_REQUIRE(from_two["messages"].size() == 1u);
  BOOST_TEST(from_two["messages"][0]["seq"] == 2);
  auto past_the_end = json_of(g.call(0, {"GET", "/v1/topics/news?from=9"}));
  BOOST_TEST(past_the_end["messages"].empty());
  BOOST_TEST(past_the_end["next_seq"] == 3);

  // Retention keeps 3: after two more, 1 is gone and says where to go on.
  for (auto text : {"c", "d"})
    BOOST_TEST_REQUIRE(
        g.call(0, {"POST", "/v1/topics/news", std::string{R"({"message": ")"} + text + "\"}"})
            .status == 200u);
  auto gone = g.call(1, {"GET", "/v1/topics/news?from=1"});
  BOOST_TEST(gone.status == 410u, gone.body);
  BOOST_TEST(error_code(gone) == "compacted");
  BOOST_TEST(json_of(gone)["first_seq"] == 2);
  BOOST_TEST(json_of(g.call(1, {"GET", "/v1/topics/news"}))["messages"].size() == 3u);

  // Bad input: a clear 4xx, nothing published.
  for (auto query : {"?limit=0", "?limit=1001", "?from=x", "?from=-1"})
    BOOST_TEST(g.call(0, {"GET", std::string{"/v1/topics/news"} + query}).status == 400u, query);
  BOOST_TEST(g.call(0, {"POST", "/v1/topics/news", R"({"text": "x"})"}).status == 400u);
  BOOST_TEST(
      g.call(0, {"POST", "/v1/topics/news", R"({"message": "!", "encoding": "base64"})"}).status ==
      400u);
  BOOST_TEST(g.call(0, {"POST", "/v1/topics/bad%20id", R"({"message": "x"})"}).status == 400u);
  BOOST_TEST(g.call(0, {"DELETE", "/v1/topics/news"}).status == 405u);
  BOOST_TEST(json_of(g.call(2, {"GET", "/v1/topics/news"}))["next_seq"] == 5);
}

BOOST_AUTO_TEST_SUITE_END()
