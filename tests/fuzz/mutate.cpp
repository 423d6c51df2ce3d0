// Byte-level mutations. Blind (no coverage feedback), so they lean on what
// breaks decoders in practice: length prefixes set to the largest value
// that still passes a naive "fits in the input" check, counts off by one,
// chunks repeated (more container elements) or spliced from another input.

#include "harness.hpp"

#include <algorithm>
#include <array>

namespace dref::fuzz {

namespace {

constexpr std::size_t max_input = 1 << 16;

void put_le(std::string& bytes, std::size_t at, std::uint64_t value, std::size_t width) {
  for (std::size_t i = 0; i < width && at + i < bytes.size(); ++i)
    bytes[at + i] = static_cast<char>((value >> (8 * i)) & 0xff);
}

std::uint64_t get_le(const std::string& bytes, std::size_t at, std::size_t width) {
  std::uint64_t value = 0;
  for (std::size_t i = width; i-- > 0;)
    value = (value << 8) | static_cast<unsigned char>(bytes[at + i]);
  return value;
}

// Positions that hold a plausible little-endian length or count: a value
// no larger than the bytes after it. Most are real length prefixes.
std::vector<std::size_t> length_fields(const std::string& bytes, std::size_t width) {
  std::vector<std::size_t> out;
  for (std::size_t at = 0; at + width <= bytes.size(); ++at)
    if (get_le(bytes, at, width) <= bytes.size() - at - width)
      out.push_back(at);
  return out;
}

std::uint64_t interesting_length(rng& r, std::size_t size, std::size_t at, std::size_t width) {
  std::uint64_t rest = size - at - width;
  const std::array<std::uint64_t, 16> values{
      0,         1,       rest,          rest + 1,      rest / 2,      rest / 4,       rest / 8,
      rest / 16, size,    0x7fffffffull, 0x80000000ull, 0xffffffffull, 0x100000000ull, 1ull << 62,
      ~0ull,     r.next()};
  return values[r.below(values.size())];
}

void flip_bit(std::string& bytes, rng& r) {
  if (!bytes.empty())
    bytes[r.below(bytes.size())] ^= static_cast<char>(1u << r.below(8));
}

void set_byte(std::string& bytes, rng& r) {
  static constexpr std::array<unsigned char, 8> values{0, 1, 2, 0x7f, 0x80, 0xfe, 0xff, 0x10};
  if (bytes.empty())
    return;
  auto& byte = bytes[r.below(bytes.size())];
  byte = static_cast<char>(r.chance(50) ? values[r.below(values.size())] : r.below(256));
}

void insert_bytes(std::string& bytes, rng& r) {
  std::size_t at = r.below(bytes.size() + 1);
  std::size_t count = 1 + r.below(r.chance(80) ? 8 : 64);
  std::string extra;
  for (std::size_t i = 0; i < count; ++i)
    extra.push_back(static_cast<char>(r.chance(50) ? 0 : r.below(256)));
  bytes.insert(at, extra);
}

void erase_range(std::string& bytes, rng& r) {
  if (bytes.empty())
    return;
  std::size_t at = r.below(bytes.size());
  std::size_t count = 1 + r.below(std::min<std::size_t>(bytes.size() - at, 16));
  bytes.erase(at, count);
}

void smash_length(std::string& bytes, rng& r) {
  std::size_t width = r.chance(70) ? 8 : 4;
  if (bytes.size() < width)
    return flip_bit(bytes, r);
  auto fields = length_fields(bytes, width);
  std::size_t at = fields.empty() || r.chance(10) ? r.below(bytes.size() - width + 1)
                                                  : fields[r.below(fields.size())];
  put_le(bytes, at, interesting_length(r, bytes.size(), at, width), width);
}

// Counts, indexes and versions off by a little.
void nudge_integer(std::string& bytes, rng& r) {
  std::size_t width = std::array<std::size_t, 4>{1, 2, 4, 8}[r.below(4)];
  if (bytes.size() < width)
    return;
  std::size_t at = r.below(bytes.size() - width + 1);
  auto delta = static_cast<std::uint64_t>(1 + r.below(16));
  auto value = get_le(bytes, at, width);
  put_le(bytes, at, r.chance(50) ? value + delta : value - delta, width);
}

void truncate(std::string& bytes, rng& r) {
  bytes.resize(r.below(bytes.size() + 1));
}

// A chunk repeated in place: one more element of a container, or a field
// read twice.
void duplicate_chunk(std::string& bytes, rng& r) {
  if (bytes.empty())
    return;
  std::size_t from = r.below(bytes.size());
  std::size_t count = 1 + r.below(std::min<std::size_t>(bytes.size() - from, 64));
  std::string chunk = bytes.substr(from, count);
  bytes.insert(r.chance(50) ? from : r.below(bytes.size() + 1), chunk);
}

void overwrite_chunk(std::string& bytes, rng& r) {
  if (bytes.size() < 2)
    return;
  std::size_t from = r.below(bytes.size());
  std::size_t to = r.below(bytes.size());
  std::size_t count = 1 + r.below(std::min<std::size_t>(bytes.size() - std::max(from, to), 32));
  std::string chunk = bytes.substr(from, count);
  bytes.replace(to, count, chunk);
}

// A prefix of one input followed by a suffix of another.
void splice(std::string& bytes, rng& r, const std::vector<std::string>& others) {
  const std::string& other = others[r.below(others.size())];
  std::size_t cut = r.below(bytes.size() + 1);
  std::size_t from = r.below(other.size() + 1);
  bytes = bytes.substr(0, cut) + other.substr(from);
}

} // namespace

void mutate_once(std::string& bytes, rng& r, const std::vector<std::string>& others) {
  switch (r.below(11)) {
    case 0:
      flip_bit(bytes, r);
      break;
    case 1:
      set_byte(bytes, r);
      break;
    case 2:
      insert_bytes(bytes, r);
      break;
    case 3:
      erase_range(bytes, r);
      break;
    case 4:
    case 5:
      smash_length(bytes, r);
      break;
    case 6:
      nudge_integer(bytes, r);
      break;
    case 7:
      truncate(bytes, r);
      break;
    case 8:
      duplicate_chunk(bytes, r);
      break;
    case 9:
      overwrite_chunk(bytes, r);
      break;
    default:
      splice(bytes, r, others);
      break;
  }
  if (bytes.size() > max_input)
    bytes.resize(max_input);
}

} // namespace dref::fuzz
