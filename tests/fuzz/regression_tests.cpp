// The inputs the fuzzer found bugs with, each checked again by its target
// (tests/fuzz/*_targets.cpp), so that the bug stays fixed; plus the
// hand-made inputs of bugs found by reading the code the fuzzer pointed at.

#include "dref/protocol/codec.hpp"
#include "dref/protocol/store_commands.hpp"
#include "dref/protocol/store_reads.hpp"
#include "harness.hpp"
#include "redis/store_replies.hpp"

#include <boost/test/unit_test.hpp>

namespace {

// The inputs were recorded at wire format 1: their frames ("dRf" and the
// version) are stamped with the current version, so that each still reaches
// the decoder it once broke instead of the version check.
std::string bytes(std::string_view hex) {
  auto out = dref::fuzz::from_hex(hex);
  BOOST_REQUIRE(out.has_value());
  const std::string recorded{"dRf\x01", 4};
  for (auto at = out->find(recorded); at != std::string::npos; at = out->find(recorded, at + 4))
    (*out)[at + 3] = static_cast<char>(dref::protocol::wire_format_version);
  return *out;
}

void expect_fine(std::string_view target, std::string_view input) {
  auto problem = dref::fuzz::check_input(target, input);
  BOOST_TEST(!problem.has_value(), target << ": " << problem.value_or(""));
}

} // namespace

BOOST_AUTO_TEST_SUITE(fuzz_regressions)

// A member count that fits the remaining bytes made the decoder allocate 72
// bytes (sizeof member_info) per input byte before reading a member.
// (seed 1, iteration 12952, 246 bytes)
BOOST_AUTO_TEST_CASE(node_status_members_sized_by_their_count) {
  auto input = bytes("64526601e90e59a60000000000000000000000000000000000000000000000000000000000000"
                     "0000000000000000000"
                     "000000000000000000000000000000000000000000000e59a6000000000000000000000000000"
                     "0000000006e31050000"
                     "00000000006400000000000000630000000000000032000000000000000300000000000000020"
                     "00000000000006e310e"
                     "000000000000003132372e302e302e313a34303030010102000000000000006e3200000000000"
                     "0000001001c00000000"
                     "0000006e332d776974682d612d6c6f6e672d6e616d652d706173742d73736f0d0000000000000"
                     "031302e302e302e333a"
                     "343030300001");
  expect_fine("admin.node_status", input);
}

// The same through raft_message: append_entries sized its entries (72 bytes
// each) from their count.
// (seed 1, iteration 82868, 374 bytes)
BOOST_AUTO_TEST_CASE(raft_message_entries_sized_by_their_count) {
  auto input =
      bytes("645266017794d5070100000000000000020000000000000005000000000000000200000009000000000000"
            "0003000000"
            "0000000008000066017794d507010000000000000002000000000000000500000000000000020000000900"
            "0000000000"
            "0003000000000000000800000000000000030000000000000003000000000000000a00000000000000004d"
            "0000000000"
            "0000050000000000000a00000000000000050000000000000002000000090005c3804d0000000000000002"
            "0000000000"
            "000001000000000000000268e5cf8b0100000100000005000000000000007265662f612800004200000000"
            "00004c4c4c"
            "4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c030000000000"
            "00000b0000"
            "00000000000100000000000000000000000000000000110000000000000064526601df4d0c910104000000"
            "0000000704"
            "000000000000000c000000000000000000020000000000000000000000000000000000000000");
  expect_fine("raft.message", input);
}

// And in append_entries on its own.
// (seed 1, iteration 4496, 289 bytes)
BOOST_AUTO_TEST_CASE(append_entries_sized_by_their_count) {
  auto input = bytes("645266015301f930090000000000000003000000000000000800000000000000f600000000000"
                     "0000300000000000000"
                     "0a00000000000000004d000000000000000500000000000000690000000000000064526601a60"
                     "5c3804d000000000000"
                     "00020000000000000001000000000000000268e5cf8b010000010000000500000000000000726"
                     "5662f61280000000000"
                     "01af000000004c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4"
                     "c4c4c4c4c4c4c4c0300"
                     "0000000000000b000000000000000100000000000000000000000000000000110000000000000"
                     "064526601df4d0c9101"
                     "040000000000000004000000000000000c0000000000000002000000000000000000000000000"
                     "0000000000000000000"
                     "00");
  expect_fine("raft.append_entries", input);
}

// Metadata keys out of order decoded, and encoded back to other bytes: one
// proposal had several encodings.
// (seed 1, iteration 21374, 190 bytes)
BOOST_AUTO_TEST_CASE(proposal_metadata_out_of_order) {
  auto input = bytes("64526601a605c3804d00000000000000010000000000000000000000000000000168e5cf8b010"
                     "0000000000005000000"
                     "000000007265662f6107000000000000007b226e223a317d03000000000000000c00000000000"
                     "000636f6e74656e742d"
                     "7479706504000000000000006a736f6e05000000000000006f776e657228000000000000004c4"
                     "c4c4c4c4c4c4c4c4c4c"
                     "4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c0100000000000000280"
                     "000000000000000");
  expect_fine("store.proposal", input);
  auto decoded = dref::protocol::decode<dref::protocol::store_proposal>(input);
  BOOST_TEST_REQUIRE(!decoded.has_value());
  BOOST_TEST(decoded.error().message.find("out of order or repeated") != std::string::npos);
}

// Likewise for the metadata of a value read.
// (seed 1, iteration 1640, 156 bytes)
BOOST_AUTO_TEST_CASE(read_reply_metadata_out_of_order) {
  auto input = bytes("64526601bb0c1e830100000000010000000000000076070000000000000003000000000000000"
                     "c00000000000000736f"
                     "6e74656e742d7479706504000000000000006a736f6e05000000000000006f776e65722800000"
                     "0000000004c4c4c4c4c"
                     "4c4c4c4c4c4cfe4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c0100000"
                     "0000000007a00000000"
                     "000000000a00000000000000");
  expect_fine("store.read_reply", input);
}

// A store snapshot with map keys out of order restored, and snapshotted again
// to other bytes.
// (seed 1, iteration 137, 1038 bytes)
BOOST_AUTO_TEST_CASE(snapshot_map_out_of_order) {
  auto input = bytes("64526601d41e01b71600000000000000b05310000000000003000000000000000700000000000"
                     "000636f756e74657208"
                     "00000000000000050000000000000003000000000000000000000000000000050000000000000"
                     "07265662f6101000000"
                     "00000000310100000000000000020000000000000001000000000000006b01000000000000007"
                     "6050000000000000000"
                     "406e657228000000000000006f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6"
                     "f6f6f6f6f6f6f6f6f6f"
                     "6f6f6f6f05000000000000007265662f623200000000000000626262626262626262626262626"
                     "2626262626262626262"
                     "62626262626262626262626262626262626262626262626262626202000000000000000000000"
                     "0000000000200000000"
                     "0000000200000000000000733160ea000000000000e0c81000000000000100000000000000060"
                     "00000000000006c6f63"
                     "6b2f7800000000000000000100000000000000070000000000000064656c61792f64020000000"
                     "0000000733260ea0000"
                     "00000000e0c81000000000000000000000000000010000000000000006000000000000006c6f6"
                     "36b2f78000000000000"
                     "0000010000000000000006000000000000006c6f636b2f7802000000000000007331020000000"
                     "0000000743107000000"
                     "00000000010000000200000000000000020000000000000073320200000000000000743202000"
                     "0000000000073320200"
                     "000000000000743402000000000000000700000000000000746f7069632f74030000000000000"
                     "0000000000000000000"
                     "00000000000000200000000000000002000000000000000100000000000000020000000000000"
                     "06d3102000000000000"
                     "001e000000000000006d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6"
                     "d070000000000000074"
                     "6f7069632f7502000000000000000200000000000000000000000000000002000000000000000"
                     "1000000000000000100"
                     "000000000000020000000000000075310100000000000000090000000000000070726f6d69736"
                     "52f7001100000000000"
                     "000004000000000000006b6570740200000000000000070000000000000064656c61792f64020"
                     "0000000000000733100"
                     "00000000000000000000000000000000070000000000000064656c61792f65020000000000000"
                     "0733201040000000000"
                     "0000646f6e65130000000000000002000000000000004d0000000000000000000000000000004"
                     "0420f00000000000200"
                     "00000000000001000000000000000101000000020000000000000002000000000000000102000"
                     "0000300000000000000"
                     "080000000000000005000000000000004e00000000000000000000000000000040420f0000000"
                     "0000100000000000000"
                     "010000000000000001080000000110000000000000000000000000000000");
  expect_fine("store.snapshot", input);
}

// A snapshot file named and headed for one index whose (checksummed) body
// holds the metadata of another was recovered as the other.
// (seed 1, iteration 27, 248 bytes)
BOOST_AUTO_TEST_CASE(snapshot_file_for_another_index) {
  auto input = bytes("645266530100000000000000000000030000000000000000d000000000000000b903848388ede"
                     "59f4800000064526601"
                     "24c8a987080000000000000002000000000000000300000000000000010000000000000002000"
                     "0000000000003000000"
                     "000000000100000000000000040000000000000064526601d41e01b7000000000000000000020"
                     "0000000000000030000"
                     "00000000000100000000000000040000000000000064526601d41e01b70000000000000000000"
                     "0000000000000000000"
                     "000000000000000000000000000000889c0000000000000000000000000000000000000000000"
                     "0000000000000000000"
                     "0000000000000000");
  expect_fine("raft_storage.snapshot_file", input);
}

// "DREF version_conflict " from the script: an error without a message.
// (seed 1, iteration 297009, 25 bytes)
BOOST_AUTO_TEST_CASE(redis_refusal_without_a_message) {
  auto input = bytes("2d445245462076657273696f6e5f636f6e666c696374200d0a");
  expect_fine("redis.command_reply", input);
}

// --- hand-made -----------------------------------------------------------------

namespace {

using dref::redis::reply;

reply text(std::string s) {
  return reply{reply::kind::text, 0, std::move(s), {}};
}
reply integer(std::int64_t n) {
  return reply{reply::kind::integer, n, {}, {}};
}
reply array(std::vector<reply> elements) {
  return reply{reply::kind::array, 0, {}, std::move(elements)};
}

} // namespace

// An events answer of 129 minimal entries (17 bytes of RESP each): the
// events vector grew by doubling to 256 events, about 130 KB for 2 KB of
// input, past the bound; reserved up front it takes 129 events.
BOOST_AUTO_TEST_CASE(many_minimal_stream_entries) {
  std::string input = "*129\r\n";
  for (int i = 0; i < 129; ++i)
    input += "*2\r\n$3\r\n0-0\r\n*0\r\n";
  expect_fine("redis.events", input);
}

// Stream ids were read with std::stoull, which throws on "abc" (the backend
// caught that and took 0-0) and reads "-1-0" as 2^64 - 1 and " 5-1" or
// "5x-1" as 5. The reader resumes from these ids and watches start from
// them, so an answer with a malformed one is now an error as a whole.
BOOST_AUTO_TEST_CASE(stream_ids_are_two_decimal_numbers) {
  using dref::redis::parse_stream_id;
  using dref::redis::stream_id;
  BOOST_TEST((parse_stream_id("1700000000000-5").value() == stream_id{1700000000000, 5}));
  BOOST_TEST(
      (parse_stream_id("18446744073709551615-0").value() == stream_id{18446744073709551615ull, 0}));
  for (const char* bad : {"", "-", "5", "5-", "-5", "abc", "abc-1", "-1-0", " 5-1", "5x-1", "+5-1",
                          "5-1 ", "5-+1", "18446744073709551616-0", "1-2-3", "0x5-1"})
    BOOST_TEST(!parse_stream_id(bad).has_value(), "'" << bad << "' parsed");

  auto entry = [](std::string id) {
    return array({text(std::move(id)), array({text("q"), text("1"), text("k"), text("1")})});
  };
  BOOST_TEST(dref::redis::range_events(array({entry("5-1"), entry("6-0")})).has_value());
  for (const char* bad : {"abc", "-1-0", " 5-1", "5x-1", "5"}) {
    auto got = dref::redis::range_events(array({entry("5-1"), entry(bad)}));
    BOOST_TEST_REQUIRE(!got.has_value(), bad);
    BOOST_TEST(to_string(got.error().code) == "internal");
  }
  expect_fine("redis.events", "*1\r\n*2\r\n$3\r\nabc\r\n*0\r\n");
}

// Numbers in the script's answers went through std::stoull too: a version
// "-1" read as 2^64 - 1, " 7" and "7abc" as 7. Only digits are a number now,
// and a negative integer reply is malformed as well.
BOOST_AUTO_TEST_CASE(numbers_in_answers_are_decimal_digits_only) {
  using namespace dref::protocol;
  store_read request{read_kind::value, "a", 0, 0};
  auto read = [&](reply version) {
    return dref::redis::read_reply(array({text("value"), integer(9), text("v"), version, text("")}),
                                   request);
  };
  auto ok = read(text("7"));
  BOOST_TEST_REQUIRE(!ok.error.has_value());
  BOOST_TEST(std::get<value_state>(ok.value).version == 7u);
  for (const char* bad : {"-1", " 7", "7 ", "7abc", "1e3", "", "+7", "18446744073709551616"}) {
    auto got = read(text(bad));
    BOOST_TEST_REQUIRE(got.error.has_value(), "'" << bad << "' read as a number");
    BOOST_TEST(to_string(got.error->code) == "internal");
  }
  BOOST_TEST(read(integer(-1)).error.has_value());
}

BOOST_AUTO_TEST_SUITE_END()
