// Bytes shipped for a one-field change of a ~1 MB cereal-encoded value: the
// delta a change event or a patch carries, against the full value. Also
// the time to make and apply the delta. Prints figures; asserts nothing.

#include "dref/protocol/codec.hpp"
#include "dref/store/delta.hpp"
#include "dref/store/store.hpp"

#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#include <chrono>
#include <cstdio>
#include <random>

namespace {

struct reading {
  std::uint64_t at = 0;
  double value = 0;
  std::string label;
  template <class A>
  void serialize(A& ar) {
    ar(at, value, label);
  }
};

struct document {
  std::string name;
  std::vector<reading> readings;
  template <class A>
  void serialize(A& ar) {
    ar(name, readings);
  }
};

std::string encode(const document& d) {
  std::string out;
  dref::protocol::encode_body(d, out);
  return out;
}

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

} // namespace

int main() {
  std::mt19937_64 rng{7};
  document doc{"sensor log", {}};
  while (encode(doc).size() < 1'000'000)
    doc.readings.push_back(reading{rng(), static_cast<double>(rng() % 100'000) / 7.0,
                                   "probe-" + std::to_string(rng() % 1000)});
  std::string before = encode(doc);
  doc.readings[doc.readings.size() / 2].value = 42.0; // one field in the middle
  std::string after = encode(doc);

  constexpr int rounds = 20;
  auto start = std::chrono::steady_clock::now();
  std::string delta;
  for (int i = 0; i < rounds; ++i)
    delta = dref::store::encode_delta(before, after);
  double encode_ms = ms_since(start) / rounds;
  start = std::chrono::steady_clock::now();
  for (int i = 0; i < rounds; ++i)
    if (dref::store::apply_delta(before, delta, 2 << 20).value() != after)
      return 1;
  double apply_ms = ms_since(start) / rounds;

  // The same through the store: the change event of a set.
  dref::store::store s{dref::store::limits{.max_value_bytes = 2 << 20}};
  (void)s.apply(1, {0, 0, 0, 0, dref::protocol::cmd_set{"doc", before}});
  auto out = s.apply(2, {0, 0, 0, 0, dref::protocol::cmd_set{"doc", after}});
  std::size_t event_payload = out.events.at(0).payload.size();

  std::printf("value size:            %zu bytes\n", after.size());
  std::printf("delta for 1 field:     %zu bytes (%.4f%% of the value; goal <= 1%%)\n", delta.size(),
              100.0 * static_cast<double>(delta.size()) / after.size());
  std::printf("store event payload:   %zu bytes\n", event_payload);
  std::printf("encode_delta:          %.2f ms\n", encode_ms);
  std::printf("apply_delta:           %.2f ms\n", apply_ms);
  return 0;
}
