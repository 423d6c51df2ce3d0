// drefctl's printers: each result type's text and JSON, checked against
// what drefctl printed before its output went through a JSON library.

#include "output.hpp"

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

using namespace drefctl;
using nlohmann::ordered_json;

namespace {

dref::protocol::node_status a_status(std::string name, std::string role, std::string leader) {
  dref::protocol::node_status status;
  status.name = std::move(name);
  status.role = std::move(role);
  status.leader = std::move(leader);
  status.term = 7;
  status.commit_index = 42;
  status.applied_index = 41;
  return status;
}

std::vector<std::string> keys_of(const ordered_json& object) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : object.items())
    keys.push_back(key);
  return keys;
}

// A JSON string back to bytes, one byte per code point.
std::string bytes_of(const ordered_json& string) {
  std::string out;
  auto utf8 = string.get<std::string>();
  for (std::size_t i = 0; i < utf8.size(); ++i) {
    auto c = static_cast<unsigned char>(utf8[i]);
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else {
      BOOST_REQUIRE((c & 0xe0) == 0xc0); // nothing above U+00FF
      out += static_cast<char>(((c & 0x1f) << 6) | (static_cast<unsigned char>(utf8[++i]) & 0x3f));
    }
  }
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(drefctl_status)

cluster_status two_endpoints() {
  return {{{"127.0.0.1:9001", a_status("node-1", "leader", "node-1"), {}},
           {"127.0.0.1:9002", std::nullopt, "connection refused"}}};
}

BOOST_AUTO_TEST_CASE(text_is_a_table_with_unreachable_endpoints_dashed) {
  BOOST_TEST(to_text(two_endpoints()) ==
             "ENDPOINT        MEMBER  ROLE         LEADER  TERM  COMMIT  APPLIED\n"
             "127.0.0.1:9001  node-1  leader       node-1  7     42      41\n"
             "127.0.0.1:9002  -       unreachable  -       -     -       -\n");
}

BOOST_AUTO_TEST_CASE(unknown_leader_is_a_dash_in_text_and_empty_in_json) {
  cluster_status status{{{"127.0.0.1:9001", a_status("node-1", "follower", ""), {}}}};
  BOOST_TEST(to_text(status).find("follower  -       7") != std::string::npos, to_text(status));
  BOOST_TEST(to_json(status)[0]["leader"] == "");
}

BOOST_AUTO_TEST_CASE(json_has_the_same_fields_in_the_same_order_as_before) {
  BOOST_TEST(render(two_endpoints(), output_format::json) ==
             R"([{"endpoint":"127.0.0.1:9001","member":"node-1","role":"leader",)"
             R"("leader":"node-1","term":7,"commit_index":42,"applied_index":41},)"
             R"({"endpoint":"127.0.0.1:9002","error":"connection refused"}])"
             "\n");
  auto json = to_json(two_endpoints());
  BOOST_TEST(keys_of(json[0]) ==
                 (std::vector<std::string>{"endpoint", "member", "role", "leader", "term",
                                           "commit_index", "applied_index"}),
             boost::test_tools::per_element());
  BOOST_TEST(json[0]["term"].is_number_unsigned());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(drefctl_members)

member_list three_members() {
  return {{{"node-1", "10.0.0.1:8082", true, true},
           {"node-2", "", true, false},
           {"node-4", "10.0.0.4:8082", false, true}},
          "node-1"};
}

BOOST_AUTO_TEST_CASE(text_names_role_reachability_and_leader) {
  BOOST_TEST(to_text(three_members()) == "NAME    ADDRESS        ROLE     REACHABLE  LEADER\n"
                                         "node-1  10.0.0.1:8082  voter    yes        yes\n"
                                         "node-2  -              voter    no         no\n"
                                         "node-4  10.0.0.4:8082  learner  yes        no\n");
}

BOOST_AUTO_TEST_CASE(json_has_booleans_as_before) {
  BOOST_TEST(render(three_members(), output_format::json) ==
             R"([{"name":"node-1","address":"10.0.0.1:8082","voter":true,"reachable":true,)"
             R"("leader":true},{"name":"node-2","address":"","voter":true,"reachable":false,)"
             R"("leader":false},{"name":"node-4","address":"10.0.0.4:8082","voter":false,)"
             R"("reachable":true,"leader":false}])"
             "\n");
}

BOOST_AUTO_TEST_CASE(no_members_is_a_header_or_an_empty_array) {
  member_list none;
  BOOST_TEST(to_text(none) == "NAME  ADDRESS  ROLE  REACHABLE  LEADER\n");
  BOOST_TEST(render(none, output_format::json) == "[]\n");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(drefctl_writes)

BOOST_AUTO_TEST_CASE(admin_done_is_its_sentence_or_ok) {
  admin_done done{"removed node-3"};
  BOOST_TEST(render(done, output_format::text) == "removed node-3\n");
  BOOST_TEST(render(done, output_format::json) == "{\"ok\":true}\n");
}

BOOST_AUTO_TEST_CASE(a_write_prints_its_version) {
  ref_version written{"ctl/greeting", 12};
  BOOST_TEST(render(written, output_format::text) == "version 12\n");
  BOOST_TEST(render(written, output_format::json) == "{\"id\":\"ctl/greeting\",\"version\":12}\n");
}

BOOST_AUTO_TEST_CASE(a_counter_prints_its_value_as_a_number) {
  counter_value counter{"ctl/counter", -3, 5};
  BOOST_TEST(render(counter, output_format::text) == "-3\nversion 5\n");
  BOOST_TEST(render(counter, output_format::json) ==
             "{\"id\":\"ctl/counter\",\"value\":-3,\"version\":5}\n");
}

BOOST_AUTO_TEST_CASE(a_removal_prints_the_version_it_had_or_absent) {
  BOOST_TEST(render(ref_removed{"ks/a", true, 9}, output_format::text) == "removed version 9\n");
  BOOST_TEST(render(ref_removed{"ks/a", false, 0}, output_format::text) ==
             "absent: nothing removed\n");
  BOOST_TEST(render(ref_removed{"ks/a", true, 9}, output_format::json) ==
             "{\"id\":\"ks/a\",\"removed\":true,\"version\":9}\n");
}

BOOST_AUTO_TEST_CASE(a_listing_is_a_table_or_ids_with_its_revision) {
  id_listing listed{"ks/", {{"ks/a", 3}, {"ks/bb", 12}}, 12, 12, true};
  BOOST_TEST(render(listed, output_format::text) == "ID     VERSION\nks/a   3\nks/bb  12\n");
  BOOST_TEST(render(listed, output_format::json) ==
             "{\"prefix\":\"ks/\",\"revision\":12,\"consistent\":true,\"more\":true,"
             "\"ids\":[{\"id\":\"ks/a\",\"version\":3},{\"id\":\"ks/bb\",\"version\":12}]}\n");
  listed.last_revision = 14; // the keyspace changed between pages
  BOOST_TEST(render(listed, output_format::json).find("\"consistent\":false") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_publish_prints_its_sequence_number) {
  published sent{"ctl/topic", 2};
  BOOST_TEST(render(sent, output_format::text) == "seq 2\n");
  BOOST_TEST(render(sent, output_format::json) == "{\"topic\":\"ctl/topic\",\"seq\":2}\n");
}

BOOST_AUTO_TEST_CASE(a_barrier_prints_its_round) {
  barrier_passed passed{"ctl/bar", 3};
  BOOST_TEST(render(passed, output_format::text) == "round 3\n");
  BOOST_TEST(render(passed, output_format::json) == "{\"id\":\"ctl/bar\",\"round\":3}\n");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(drefctl_values)

BOOST_AUTO_TEST_CASE(text_values_print_as_they_are) {
  ref_value got{"ctl/greeting", "hello\tworld\nagain", 3, {}};
  BOOST_TEST(render(got, output_format::text) == "hello\tworld\nagain\nversion 3\n");
  BOOST_TEST(render(got, output_format::json) ==
             R"({"id":"ctl/greeting","value":"hello\tworld\nagain","version":3})"
             "\n");
}

BOOST_AUTO_TEST_CASE(an_owned_value_names_its_owner) {
  ref_value got{"svc/a", "up", 4, "ttl-00ab-1"};
  BOOST_TEST(render(got, output_format::text) == "up\nversion 4\nowner ttl-00ab-1\n");
  BOOST_TEST(render(got, output_format::json) ==
             R"({"id":"svc/a","value":"up","version":4,"owner":"ttl-00ab-1"})"
             "\n");
}

BOOST_AUTO_TEST_CASE(binary_values_print_as_hex) {
  ref_value got{"k", std::string{"\x00\x01\xff", 3}, 1, {}};
  BOOST_TEST(render(got, output_format::text) == "0x0001ff\nversion 1\n");
}

BOOST_AUTO_TEST_CASE(json_escapes_as_before_one_code_point_per_byte) {
  ref_value got{"k", std::string{"\"\\\x00\x1f\x7f\x80\xff", 7}, 1, {}};
  BOOST_TEST(render(got, output_format::json) ==
             R"({"id":"k","value":"\"\\\u0000\u001f\u007f\u0080\u00ff","version":1})"
             "\n");
  // UTF-8 is bytes like any other: é (c3 a9) is two code points.
  BOOST_TEST(json_line(to_json(ref_value{"k", "\xc3\xa9", 1, {}})) ==
             R"({"id":"k","value":"\u00c3\u00a9","version":1})"
             "\n");
}

BOOST_AUTO_TEST_CASE(every_byte_round_trips_through_json) {
  std::string all;
  for (int c = 0; c < 256; ++c)
    all += static_cast<char>(c);
  auto line = render(ref_value{all, all, 1, {}}, output_format::json);
  for (unsigned char c : line.substr(0, line.size() - 1))
    BOOST_TEST_REQUIRE((c >= 0x20 && c < 0x7f)); // plain ASCII, one line
  auto parsed = ordered_json::parse(line);
  BOOST_TEST(bytes_of(parsed["value"]) == all);
  BOOST_TEST(bytes_of(parsed["id"]) == all);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(drefctl_watch_events)

BOOST_AUTO_TEST_CASE(a_topic_message_is_its_seq_and_the_message) {
  topic_message message{"ctl/topic", 1, "one"};
  BOOST_TEST(render(message, output_format::text) == "1 one\n");
  BOOST_TEST(render(message, output_format::json) ==
             "{\"topic\":\"ctl/topic\",\"seq\":1,\"message\":\"one\"}\n");
  BOOST_TEST(to_text(topic_message{"t", 2, "\x01"}) == "2 0x01\n");
}

BOOST_AUTO_TEST_CASE(a_ref_change_is_the_new_value_or_both) {
  ref_change change{"ctl/flag", "off", "on"};
  BOOST_TEST(render(change, output_format::text) == "on\n");
  BOOST_TEST(render(change, output_format::json) ==
             "{\"id\":\"ctl/flag\",\"old\":\"off\",\"value\":\"on\"}\n");
  BOOST_TEST(to_text(ref_change{"k", "", std::string{"\x00", 1}}) == "0x00\n");
}

BOOST_AUTO_TEST_CASE(a_change_under_a_prefix_is_a_line_of_kind_id_version_value) {
  prefix_change written{"fleet/a", "written", 12, "on"};
  BOOST_TEST(render(written, output_format::text) == "written fleet/a 12 on\n");
  BOOST_TEST(render(written, output_format::json) ==
             "{\"id\":\"fleet/a\",\"kind\":\"written\",\"version\":12,\"value\":\"on\"}\n");
  prefix_change removed{"fleet/b", "removed", 13, std::nullopt};
  BOOST_TEST(render(removed, output_format::text) == "removed fleet/b 13\n");
  BOOST_TEST(render(removed, output_format::json) ==
             "{\"id\":\"fleet/b\",\"kind\":\"removed\",\"version\":13}\n");
}

BOOST_AUTO_TEST_SUITE_END()
