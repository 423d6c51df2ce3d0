#include "dref/store/delta.hpp"

#include <bit>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <xxhash.h>
#include <zstd.h>

namespace dref::store {
namespace {

constexpr std::size_t header_size = 16;
constexpr std::uint8_t format_version = 1;

struct cctx_deleter {
  void operator()(ZSTD_CCtx* c) const noexcept { ZSTD_freeCCtx(c); }
};
struct dctx_deleter {
  void operator()(ZSTD_DCtx* d) const noexcept { ZSTD_freeDCtx(d); }
};

template <class T>
void put_le(std::string& out, T value) {
  for (std::size_t i = 0; i < sizeof(T); ++i)
    out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

template <class T>
T get_le(const char* in) {
  T value = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i)
    value |= static_cast<T>(static_cast<unsigned char>(in[i])) << (8 * i);
  return value;
}

// The window must reach back over the whole base from the end of the target.
int window_log_for(std::size_t base, std::size_t target) {
  std::size_t span = base + target + 1;
  int log = std::bit_width(span);
  if (log < 10) // zstd's smallest window
    log = 10;
  if (log > 30)
    log = 30;
  return log;
}

error damaged(std::string what) {
  return error{errc::decode_failed, "delta: " + std::move(what)};
}

} // namespace

std::string encode_delta(std::string_view base, std::string_view target) {
  std::string out;
  out += "dD";
  out.push_back(static_cast<char>(format_version));
  out.push_back(0);
  put_le<std::uint32_t>(out, static_cast<std::uint32_t>(target.size()));
  put_le<std::uint64_t>(out, XXH3_64bits(base.data(), base.size()));

  std::unique_ptr<ZSTD_CCtx, cctx_deleter> cctx{ZSTD_createCCtx()};
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, 3);
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_windowLog, window_log_for(base.size(), target.size()));
  // Long-distance matching finds the base's long unchanged runs cheaply.
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_enableLongDistanceMatching, 1);
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_contentSizeFlag, 1);
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_checksumFlag, 1);
  ZSTD_CCtx_refPrefix(cctx.get(), base.data(), base.size());
  std::size_t bound = ZSTD_compressBound(target.size());
  std::size_t start = out.size();
  out.resize(start + bound);
  std::size_t written =
      ZSTD_compress2(cctx.get(), out.data() + start, bound, target.data(), target.size());
  // Compression of bytes in memory into a buffer of compressBound size only
  // fails on allocation failure, which nothing here can recover from.
  if (ZSTD_isError(written))
    throw std::bad_alloc{};
  out.resize(start + written);
  return out;
}

result<std::string> apply_delta(std::string_view base, std::string_view delta,
                                std::size_t max_size) {
  if (delta.size() < header_size || delta[0] != 'd' || delta[1] != 'D')
    return damaged("not a delta (bad magic or shorter than its header)");
  if (static_cast<std::uint8_t>(delta[2]) != format_version)
    return damaged("format " + std::to_string(static_cast<std::uint8_t>(delta[2])) +
                   " is not supported (this build reads format 1)");
  std::size_t target_size = get_le<std::uint32_t>(delta.data() + 4);
  std::uint64_t base_hash = get_le<std::uint64_t>(delta.data() + 8);
  if (target_size > max_size)
    return error{errc::value_too_large, "delta: the patched value would have " +
                                            std::to_string(target_size) + " bytes; at most " +
                                            std::to_string(max_size) + " are allowed"};
  if (XXH3_64bits(base.data(), base.size()) != base_hash)
    return damaged("it was made against another base value");

  std::unique_ptr<ZSTD_DCtx, dctx_deleter> dctx{ZSTD_createDCtx()};
  ZSTD_DCtx_setParameter(dctx.get(), ZSTD_d_windowLogMax, window_log_for(base.size(), target_size));
  ZSTD_DCtx_refPrefix(dctx.get(), base.data(), base.size());
  std::string out(target_size, '\0');
  std::size_t got = ZSTD_decompressDCtx(dctx.get(), out.data(), out.size(),
                                        delta.data() + header_size, delta.size() - header_size);
  if (ZSTD_isError(got))
    return damaged(ZSTD_getErrorName(got));
  if (got != target_size)
    return damaged("it decodes to " + std::to_string(got) + " bytes, its header says " +
                   std::to_string(target_size));
  return out;
}

} // namespace dref::store
