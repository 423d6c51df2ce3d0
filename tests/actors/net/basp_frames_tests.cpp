// basp_frames: the payload length of each BASP header in a byte stream,
// however the stream is cut into reads.

#include "basp_frames.hpp"

#include <boost/test/unit_test.hpp>
#include <random>
#include <string>
#include <vector>

using dref::net::basp_frames;

namespace {

std::string frame(std::uint32_t length, char fill = 'p') {
  std::string bytes(basp_frames::header_size, '\x07');
  for (int i = 0; i < 4; ++i)
    bytes[4 + i] = static_cast<char>((length >> (24 - 8 * i)) & 0xff);
  return bytes + std::string(length, fill);
}

std::span<const unsigned char> bytes_of(const std::string& bytes) {
  return {reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()};
}

// The announced length of an oversized frame, if refused.
std::optional<std::uint32_t> feed(basp_frames& frames, const std::string& bytes) {
  auto refused = frames.feed(bytes_of(bytes));
  if (!refused)
    return std::nullopt;
  BOOST_TEST(refused->kind == dref::net::frame_refusal::oversized);
  return refused->announced;
}

std::string frame_of(std::uint8_t operation, const std::string& payload) {
  auto bytes =
      frame(static_cast<std::uint32_t>(payload.size())).substr(0, basp_frames::header_size);
  bytes[0] = static_cast<char>(operation);
  return bytes + payload;
}

} // namespace

BOOST_AUTO_TEST_SUITE(basp_frames_suite)

BOOST_AUTO_TEST_CASE(frames_within_the_bound_pass_in_any_cuts) {
  // Payloads full of 0xff: a reader that took payload bytes for a header
  // would see a length over the bound.
  std::string stream;
  for (std::uint32_t length : {0u, 1u, 31u, 32u, 33u, 1000u, 4096u})
    stream += frame(length, '\xff');
  auto seed = std::random_device{}();
  BOOST_TEST_MESSAGE("seed " << seed);
  std::mt19937 rng{seed};
  for (int round = 0; round < 200; ++round) {
    basp_frames frames{4096};
    std::size_t at = 0;
    while (at < stream.size()) {
      auto step = std::min<std::size_t>(1 + rng() % 80, stream.size() - at);
      BOOST_TEST_REQUIRE(!feed(frames, stream.substr(at, step)), "seed " << seed);
      at += step;
    }
    BOOST_TEST(!frames.broken());
  }
}

BOOST_AUTO_TEST_CASE(a_header_over_the_bound_is_refused_and_stays_refused) {
  basp_frames frames{4096};
  BOOST_TEST(!feed(frames, frame(4096)));
  auto big = frame(0).substr(0, 4) + std::string{"\x40\x00\x00\x00", 4};
  BOOST_TEST(!feed(frames, big.substr(0, 6))); // the length is not whole yet
  auto refused = feed(frames, big.substr(6) + std::string(24, '\0'));
  BOOST_TEST_REQUIRE(refused.has_value());
  BOOST_TEST(*refused == 0x40000000u);
  BOOST_TEST(frames.broken());
  BOOST_TEST(feed(frames, frame(1)).value_or(0) == 0x40000000u);
}

BOOST_AUTO_TEST_CASE(the_bound_itself_is_allowed) {
  basp_frames frames{10};
  BOOST_TEST(!feed(frames, frame(10)));
  BOOST_TEST(feed(frames, frame(11).substr(0, basp_frames::header_size)).value_or(0) == 11u);
}

// Each frame's operation and payload start reach the inspection once,
// whole, however the stream is cut.
BOOST_AUTO_TEST_CASE(each_frame_start_is_shown_once_in_any_cuts) {
  std::vector<std::pair<std::uint8_t, std::string>> sent;
  std::string stream;
  for (std::size_t length : {0u, 1u, 63u, 64u, 65u, 300u}) {
    std::string payload;
    for (std::size_t i = 0; i < length; ++i)
      payload += static_cast<char>('a' + (i * 7 + length) % 26);
    auto operation = static_cast<std::uint8_t>(length % 7);
    sent.emplace_back(operation, payload.substr(0, basp_frames::prefix_size));
    stream += frame_of(operation, payload);
  }
  auto seed = std::random_device{}();
  BOOST_TEST_MESSAGE("seed " << seed);
  std::mt19937 rng{seed};
  for (int round = 0; round < 200; ++round) {
    basp_frames frames{4096};
    std::vector<std::pair<std::uint8_t, std::string>> seen;
    basp_frames::inspection record = [&](const dref::net::frame_start& f) {
      seen.emplace_back(f.operation, std::string{f.payload_prefix.begin(), f.payload_prefix.end()});
      return true;
    };
    std::size_t at = 0;
    while (at < stream.size()) {
      auto step = std::min<std::size_t>(1 + rng() % 90, stream.size() - at);
      BOOST_TEST_REQUIRE(!frames.feed(bytes_of(stream.substr(at, step)), record), "seed " << seed);
      at += step;
    }
    BOOST_TEST_REQUIRE((seen == sent), "seed " << seed << ", round " << round);
  }
}

BOOST_AUTO_TEST_CASE(a_frame_the_inspection_refuses_breaks_the_stream) {
  basp_frames frames{4096};
  basp_frames::inspection no_routed = [](const dref::net::frame_start& f) {
    return f.operation != dref::net::routed_message;
  };
  BOOST_TEST(!frames.feed(bytes_of(frame_of(dref::net::direct_message, "fine")), no_routed));
  auto refused = frames.feed(bytes_of(frame_of(dref::net::routed_message, "relay me")), no_routed);
  BOOST_TEST_REQUIRE(refused.has_value());
  BOOST_TEST(refused->kind == dref::net::frame_refusal::forbidden);
  BOOST_TEST(refused->operation == dref::net::routed_message);
  BOOST_TEST(frames.broken());
  BOOST_TEST(
      frames.feed(bytes_of(frame_of(dref::net::direct_message, "fine")), no_routed).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
