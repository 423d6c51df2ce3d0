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

std::optional<std::uint32_t> feed(basp_frames& frames, const std::string& bytes) {
  return frames.feed({reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()});
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

BOOST_AUTO_TEST_SUITE_END()
