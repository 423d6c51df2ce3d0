#include "dref/protocol/codec.hpp"
#include "dref/store/delta.hpp"

#include <boost/test/unit_test.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#include <random>

using namespace dref;

namespace {

// A typical cereal layout: a record with a header, many fields, a blob.
struct record {
  std::uint64_t id = 0;
  std::string name;
  std::vector<std::uint64_t> samples;
  std::string blob;
  template <class A>
  void serialize(A& ar) {
    ar(id, name, samples, blob);
  }
};

std::string encode(const record& r) {
  std::string out;
  protocol::encode_body(r, out);
  return out;
}

record sample_record(std::size_t samples) {
  std::mt19937_64 rng{42};
  record r{7, "sensor-7", {}, std::string(samples, 'x')};
  for (std::size_t i = 0; i < samples; ++i)
    r.samples.push_back(rng());
  for (auto& c : r.blob)
    c = static_cast<char>(rng());
  return r;
}

} // namespace

BOOST_AUTO_TEST_SUITE(delta)

BOOST_AUTO_TEST_CASE(round_trips_a_changed_field_in_the_middle) {
  record r = sample_record(20'000);
  std::string before = encode(r);
  r.samples[10'000] = 123;
  std::string after = encode(r);
  auto delta = store::encode_delta(before, after);
  BOOST_TEST(delta.size() < 100u);
  BOOST_TEST(store::apply_delta(before, delta, 1 << 20).value() == after);
}

BOOST_AUTO_TEST_CASE(round_trips_edge_cases) {
  const std::string some = "hello world";
  for (auto [base, target] : {std::pair<std::string, std::string>{"", ""},
                              {"", some},
                              {some, ""},
                              {some, some},
                              {some, "completely different bytes"}}) {
    auto delta = store::encode_delta(base, target);
    BOOST_TEST(store::apply_delta(base, delta, 1 << 20).value() == target);
  }
}

BOOST_AUTO_TEST_CASE(growth_and_shrink) {
  record r = sample_record(5'000);
  std::string before = encode(r);
  r.name = "a much longer name than before, which shifts everything after it";
  r.samples.erase(r.samples.begin() + 100, r.samples.begin() + 200);
  std::string after = encode(r);
  auto delta = store::encode_delta(before, after);
  BOOST_TEST(delta.size() < after.size() / 20);
  BOOST_TEST(store::apply_delta(before, delta, 1 << 20).value() == after);
}

BOOST_AUTO_TEST_CASE(wrong_base_is_refused) {
  std::string base(1000, 'a'), other(1000, 'b'), target(1000, 'a');
  target[500] = 'z';
  auto delta = store::encode_delta(base, target);
  auto wrong = store::apply_delta(other, delta, 1 << 20);
  BOOST_TEST_REQUIRE(!wrong.has_value());
  BOOST_TEST(to_string(wrong.error().code) == "decode_failed");
  BOOST_TEST(wrong.error().message.find("another base") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(damage_never_crashes) {
  std::string base = encode(sample_record(1'000));
  record r = sample_record(1'000);
  r.id = 8;
  auto delta = store::encode_delta(base, encode(r));
  for (std::size_t cut = 0; cut < delta.size(); ++cut)
    BOOST_TEST(!store::apply_delta(base, delta.substr(0, cut), 1 << 20).has_value());
  std::mt19937 rng{1};
  for (int round = 0; round < 2'000; ++round) {
    std::string bad = delta;
    bad[rng() % bad.size()] ^= static_cast<char>(1 + rng() % 255);
    auto out = store::apply_delta(base, bad, 1 << 20);
    // zstd's frame checksum catches what the header does not.
    if (out)
      BOOST_TEST(*out == encode(r));
  }
}

// The format byte is named as the byte it is (a signed char read as
// unsigned named 0xff as 4294967295).
BOOST_AUTO_TEST_CASE(unknown_format_is_named) {
  auto delta = store::encode_delta("base", "target");
  delta[2] = static_cast<char>(0xff);
  auto out = store::apply_delta("base", delta, 1 << 20);
  BOOST_TEST_REQUIRE(!out.has_value());
  BOOST_TEST(out.error().message.find("format 255 is not supported") != std::string::npos,
             out.error().message);
}

BOOST_AUTO_TEST_CASE(oversize_result_is_refused_before_allocation) {
  std::string base(10, 'a');
  std::string target(5'000, 'a');
  auto delta = store::encode_delta(base, target);
  auto out = store::apply_delta(base, delta, 4'096);
  BOOST_TEST_REQUIRE(!out.has_value());
  BOOST_TEST(to_string(out.error().code) == "value_too_large");
}

BOOST_AUTO_TEST_SUITE_END()
