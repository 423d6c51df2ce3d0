#pragma once
// Checks every wire type gets: exact round trip, encoded_size() as long as
// the bytes, and every truncation or trailing byte is a decode error (never
// a crash, never a silent success).

#include "dref/protocol/codec.hpp"

#include <boost/test/unit_test.hpp>
#include <string>

namespace dref::test {

template <protocol::wire_type T>
void check_wire_roundtrip(const T& value) {
  auto bytes = protocol::encode(value);
  BOOST_TEST(protocol::encoded_size(value) == bytes.size(), T::wire_name << "'s encoded_size");
  auto decoded = protocol::decode<T>(bytes);
  // Boost.Test builds the message even on success: only touch error() on failure.
  if (!decoded)
    BOOST_FAIL(T::wire_name << ": " << decoded.error().to_string());
  BOOST_TEST((*decoded == value), T::wire_name << " changed in a round trip");
  for (std::size_t length = 0; length < bytes.size(); ++length) {
    auto truncated = protocol::decode<T>(std::string_view{bytes}.substr(0, length));
    BOOST_TEST_REQUIRE(!truncated.has_value(), T::wire_name << " decoded from " << length << " of "
                                                            << bytes.size() << " bytes");
  }
  auto longer = bytes + '\0';
  BOOST_TEST(!protocol::decode<T>(longer).has_value(), T::wire_name << " accepted a trailing byte");
}

} // namespace dref::test
