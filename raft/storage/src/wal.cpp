#include "dref/raft/storage/wal.hpp"

#include "file_names.hpp"
#include "little_endian.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <unistd.h>
#include <utility>
#include <xxhash.h>

namespace dref::raft::storage {

namespace {

constexpr char segment_magic[4] = {'d', 'R', 'f', 'W'};
constexpr std::uint8_t segment_format = 1;

using detail::get_le;
using detail::hex16;
using detail::put_le;

std::uint64_t checksum(std::uint8_t type, std::string_view payload) {
  // The type is the seed, so a flipped type byte fails the check too.
  return XXH3_64bits_withSeed(payload.data(), payload.size(), type);
}

// The size of the whole, intact record that starts at `at`; 0: none does.
std::size_t intact_record_at(std::string_view bytes, std::size_t at) {
  if (bytes.size() - at < wal::record_header_size)
    return 0;
  auto length = get_le(bytes, at, 4);
  auto type = static_cast<std::uint8_t>(bytes[at + 4]);
  if (type == 0 || bytes[at + 5] != 0 || bytes[at + 6] != 0 || bytes[at + 7] != 0)
    return 0;
  if (length > wal::max_record_bytes || length > bytes.size() - at - wal::record_header_size)
    return 0;
  auto payload = bytes.substr(at + wal::record_header_size, length);
  if (checksum(type, payload) != get_le(bytes, at + 8, 8))
    return 0;
  return wal::record_header_size + length;
}

// The first offset in [from, to) where an intact record starts; npos: none.
std::size_t first_intact_record(std::string_view bytes, std::size_t from, std::size_t to) {
  for (auto probe = from; probe < to; ++probe)
    if (intact_record_at(bytes, probe) != 0)
      return probe;
  return std::string_view::npos;
}

bool all_zero(std::string_view bytes) {
  return bytes.find_first_not_of('\0') == std::string_view::npos;
}

// What lies at offset `at` of a segment where no intact record starts: a
// short tail (a partial header, or a declared length that runs past the
// end of the file), zeros up to the end, or a whole record that is damaged.
struct damage {
  enum { short_tail, zeros, damaged_record } what;
  std::size_t size = 0; // damaged_record: the size its header declares
  std::string problem;  // in words
};

damage damage_at(std::string_view bytes, std::size_t at) {
  auto rest = bytes.substr(at);
  if (all_zero(rest))
    return {damage::zeros, 0, "zeros up to the end of the file"};
  if (rest.size() < wal::record_header_size)
    return {damage::short_tail, 0,
            "a partial record header of " + std::to_string(rest.size()) + " bytes"};
  auto length = get_le(bytes, at, 4);
  if (length > rest.size() - wal::record_header_size)
    return {damage::short_tail, 0,
            "a record declaring " + std::to_string(length) + " payload bytes, of which only " +
                std::to_string(rest.size() - wal::record_header_size) + " are in the file"};
  auto size = wal::record_header_size + static_cast<std::size_t>(length);
  auto type = static_cast<std::uint8_t>(bytes[at + 4]);
  if (length > wal::max_record_bytes)
    return {damage::damaged_record, size, "declared length over the maximum"};
  if (type == 0 || bytes[at + 5] != 0 || bytes[at + 6] != 0 || bytes[at + 7] != 0)
    return {damage::damaged_record, size, "malformed header (type 0 or non-zero padding)"};
  return {damage::damaged_record, size, "checksum mismatch"};
}

// A damaged record of `size` bytes at `at` that a write cut short in zeroed
// space (wal.hpp, "Recovery"): a 512-byte sector that starts inside it is
// zeros (to the sector's end), and no intact record starts inside it (a
// damaged length that reaches over later records is corruption).
bool torn_in_zeros(std::string_view bytes, std::size_t at, std::size_t size) {
  constexpr std::size_t sector = 512;
  auto end = at + size;
  bool zero_sector = false;
  for (auto start = (at + sector - 1) / sector * sector; start < end && !zero_sector;
       start += sector)
    zero_sector = all_zero(bytes.substr(start, sector));
  return zero_sector && first_intact_record(bytes, at + 1, end) == std::string_view::npos;
}

result<void> pwrite_all(int fd, std::string_view bytes, std::uint64_t offset,
                        const std::string& path) {
  while (!bytes.empty()) {
    auto wrote = ::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset));
    if (wrote < 0) {
      if (errno == EINTR)
        continue;
      return io_error("cannot write", path);
    }
    bytes.remove_prefix(static_cast<std::size_t>(wrote));
    offset += static_cast<std::uint64_t>(wrote);
  }
  return {};
}

bool is_segment_name(std::string_view name) {
  return name.size() == 24 && name.starts_with("wal-") && name.ends_with(".log") &&
         detail::parse_hex16(name.substr(4, 16)).has_value();
}

} // namespace

std::string wal::segment_path(std::uint64_t number) const {
  return opts_.dir + "/wal-" + hex16(number) + ".log";
}

namespace {

// The directory's segment numbers, sorted; every other name goes to
// `skipped`. Iterates with error codes only: nothing here throws.
result<std::vector<std::uint64_t>> list_segments(const std::string& dir,
                                                 std::vector<std::string>& skipped) {
  namespace fs = std::filesystem;
  std::vector<std::uint64_t> numbers;
  std::error_code ec;
  for (fs::directory_iterator it{dir, ec}; !ec && it != fs::directory_iterator{};
       it.increment(ec)) {
    auto name = it->path().filename().string();
    std::error_code type_ec;
    if (is_segment_name(name) && it->is_regular_file(type_ec))
      numbers.push_back(*detail::parse_hex16(std::string_view{name}.substr(4, 16)));
    else
      skipped.push_back(std::move(name));
  }
  if (ec)
    return error{errc::io_failed, "cannot list WAL directory " + dir + ": " + ec.message()};
  std::sort(numbers.begin(), numbers.end());
  std::sort(skipped.begin(), skipped.end());
  return numbers;
}

// What ends segment `path` at offset `at`, where no intact record starts:
// space never written (zeros: appends go on there; 0 is returned), a torn
// write (the caller cuts it off; its size is returned) or corruption (an
// error that says where and why).
result<std::size_t> torn_bytes_at(const std::string& path, std::string_view view, std::size_t at,
                                  bool last) {
  auto found = damage_at(view, at);
  if (found.what == damage::zeros)
    return std::size_t{0};
  auto where = path + ": damaged record at offset " + std::to_string(at);
  if (!last)
    return error{errc::corrupt_data,
                 where + " in a segment that is not the last (" + found.problem + ")"};
  if (found.what == damage::damaged_record) {
    if (!torn_in_zeros(view, at, found.size))
      return error{errc::corrupt_data,
                   where + " (" + found.problem + "): its whole declared length of " +
                       std::to_string(found.size) +
                       " bytes is in the file, so this is not a torn write; refusing to start "
                       "rather than drop acknowledged data"};
    // A disk may keep the sectors of an unsynced write in any order, so
    // records of the same write can follow it intact: never acknowledged,
    // they go with it. The zeros after them are not counted.
    return view.find_last_not_of('\0') + 1 - at;
  }
  // A short tail is torn only if nothing valid follows it: a length field
  // damaged into a huge one would otherwise hide every record after it.
  if (auto probe = first_intact_record(view, at + 1, view.size()); probe != std::string_view::npos)
    return error{errc::corrupt_data,
                 where + " (" + found.problem + ") is followed by a valid record at offset " +
                     std::to_string(probe) +
                     "; this is not a torn write, refusing to drop acknowledged data"};
  return view.size() - at;
}

} // namespace

result<wal> wal::open(const options& opts, const visitor& visit, replay_report* report) {
  std::error_code ec;
  std::filesystem::create_directories(opts.dir, ec);
  if (ec)
    return error{errc::io_failed, "cannot create WAL directory " + opts.dir + ": " + ec.message()};
  replay_report local_report;
  replay_report& rep = report ? *report : local_report;
  rep = {};
  wal log{opts};
  auto listed = list_segments(opts.dir, rep.skipped_files);
  if (!listed)
    return std::move(listed).error();
  log.segments_ = std::move(*listed);
  std::uint64_t records_end = 0;  // in the last segment
  std::uint64_t previous_end = 0; // in the one before it
  for (std::size_t i = 0; i < log.segments_.size(); ++i) {
    auto number = log.segments_[i];
    auto path = log.segment_path(number);
    bool last = i + 1 == log.segments_.size();
    if (i > 0 && number != log.segments_[i - 1] + 1)
      return error{errc::corrupt_data, "WAL segment " + log.segment_path(log.segments_[i - 1] + 1) +
                                           " is missing (found " + path + " after " +
                                           log.segment_path(log.segments_[i - 1]) + ")"};
    auto bytes = read_whole_file(path);
    if (!bytes)
      return std::move(bytes).error();
    std::string_view view{*bytes};
    std::size_t at = 0;
    bool header_ok = view.size() >= segment_header_size &&
                     view.substr(0, 4) == std::string_view{segment_magic, 4} &&
                     static_cast<std::uint8_t>(view[4]) == segment_format &&
                     get_le(view, 8, 8) == number;
    if (header_ok) {
      at = segment_header_size;
    } else if (!(last && view.size() < segment_header_size)) {
      return error{errc::corrupt_data, path + " does not start with a valid segment header"};
    }
    while (header_ok && at < view.size()) {
      auto size = intact_record_at(view, at);
      if (size == 0)
        break;
      auto type = static_cast<std::uint8_t>(view[at + 4]);
      if (auto ok = visit(type, view.substr(at + record_header_size, size - record_header_size));
          !ok)
        return std::move(ok).error();
      ++rep.records;
      at += size;
    }
    ++rep.segments;
    previous_end = std::exchange(records_end, at);
    if (at == view.size())
      continue;
    if (!header_ok) { // a segment torn before its header was complete
      rep.torn_bytes_truncated = view.size();
      if (::unlink(path.c_str()) != 0)
        return io_error("cannot remove torn segment", path);
      log.segments_.pop_back();
      records_end = previous_end;
      continue;
    }
    auto torn = torn_bytes_at(path, view, at, last);
    if (!torn)
      return std::move(torn).error();
    if (*torn == 0) // space never written
      continue;
    rep.torn_bytes_truncated = *torn;
    if (::truncate(path.c_str(), static_cast<off_t>(at)) != 0)
      return io_error("cannot truncate torn tail of", path);
  }
  if (log.segments_.empty()) {
    if (auto ok = log.start_segment(0); !ok)
      return std::move(ok).error();
  } else {
    log.segment_ = log.segments_.back();
    auto path = log.segment_path(log.segment_);
    auto fd = open_file(path, O_WRONLY);
    if (!fd)
      return std::move(fd).error();
    log.file_ = std::move(*fd);
    log.segment_size_ = records_end;
    log.file_bytes_ = static_cast<std::uint64_t>(::lseek(log.file_.get(), 0, SEEK_END));
    if (rep.torn_bytes_truncated > 0)
      if (auto ok = log.sync_segment(log.file_.get(), path, false); !ok)
        return std::move(ok).error();
  }
  return log;
}

result<void> wal::start_segment(std::uint64_t number) {
  auto path = segment_path(number);
  auto fd = open_file(path, O_WRONLY | O_CREAT | O_EXCL);
  if (!fd)
    return std::move(fd).error();
  std::string header{segment_magic, 4};
  header.push_back(static_cast<char>(segment_format));
  header.append(3, '\0');
  put_le(header, number, 8);
  if (auto ok = pwrite_all(fd->get(), header, 0, path); !ok)
    return ok;
  // No zeros yet: the header is durable before any, so a crash never leaves
  // a segment of zeros without one. The first records bring them.
  if (auto ok = sync_segment(fd->get(), path, false); !ok)
    return ok;
  if (auto ok = sync_directory(opts_.dir); !ok)
    return ok;
  file_ = std::move(*fd);
  segment_ = number;
  segment_size_ = header.size();
  file_bytes_ = header.size();
  segments_.push_back(number);
  return {};
}

result<void> wal::preallocate(int fd, const std::string& path) {
  if (opts_.preallocate_bytes == 0 || segment_size_ < file_bytes_)
    return {};
  auto target = std::min(segment_size_ + opts_.preallocate_bytes,
                         std::max(opts_.segment_bytes, segment_size_));
  static const std::string zeros(std::size_t{64} << 10, '\0');
  while (file_bytes_ < target) {
    auto size = std::min<std::uint64_t>(zeros.size(), target - file_bytes_);
    if (auto ok = pwrite_all(fd, std::string_view{zeros}.substr(0, size), file_bytes_, path); !ok)
      return ok;
    file_bytes_ += size;
  }
  return {};
}

result<void> wal::sync_segment(int fd, const std::string& path, bool data_only) {
  ++syncs_;
  if (opts_.faults.fail_sync_at != 0 && syncs_ >= opts_.faults.fail_sync_at) {
    errno = EIO;
    return io_error(data_only ? "cannot fdatasync (failpoint failpoints.fail_fsync_after)"
                              : "cannot fsync (failpoint failpoints.fail_fsync_after)",
                    path);
  }
  if ((data_only ? ::fdatasync(fd) : ::fsync(fd)) != 0)
    return io_error(data_only ? "cannot fdatasync" : "cannot fsync", path);
  return {};
}

result<void> wal::failed(error err) {
  if (!failure_)
    failure_ = err;
  return err;
}

result<void> wal::refuse_if_failed() const {
  if (failure_)
    return error{failure_->code, "the WAL stopped after an earlier failure: " + failure_->message};
  return {};
}

result<std::uint64_t> wal::append(std::uint8_t type, std::string_view payload) {
  if (auto ok = refuse_if_failed(); !ok)
    return std::move(ok).error();
  if (type == 0)
    return error{errc::invalid_argument, "WAL record type 0 is reserved"};
  if (payload.size() > max_record_bytes)
    return error{errc::value_too_large, "WAL record of " + std::to_string(payload.size()) +
                                            " bytes exceeds " + std::to_string(max_record_bytes)};
  if (segment_size_ > segment_header_size &&
      segment_size_ + record_header_size + payload.size() > opts_.segment_bytes) {
    if (auto ok = roll(); !ok)
      return std::move(ok).error();
  }
  put_le(buffer_, payload.size(), 4);
  buffer_.push_back(static_cast<char>(type));
  buffer_.append(3, '\0');
  put_le(buffer_, checksum(type, payload), 8);
  buffer_.append(payload);
  segment_size_ += record_header_size + payload.size();
  return segment_;
}

result<void> wal::flush() {
  if (auto ok = refuse_if_failed(); !ok)
    return ok;
  if (buffer_.empty())
    return {};
  auto path = segment_path(segment_);
  auto ok = pwrite_all(file_.get(), buffer_, segment_size_ - buffer_.size(), path);
  buffer_.clear();
  if (!ok)
    return failed(std::move(ok).error());
  file_bytes_ = std::max(file_bytes_, segment_size_);
  if (auto prepared = preallocate(file_.get(), path); !prepared)
    return failed(std::move(prepared).error());
  return {};
}

result<void> wal::sync() {
  if (auto ok = flush(); !ok)
    return ok;
  if (auto ok = sync_segment(file_.get(), segment_path(segment_), true); !ok)
    return failed(std::move(ok).error());
  return {};
}

result<void> wal::roll() {
  if (auto ok = sync(); !ok)
    return ok;
  if (auto ok = start_segment(segment_ + 1); !ok)
    return failed(std::move(ok).error());
  return {};
}

result<void> wal::remove_segments_before(std::uint64_t segment) {
  return remove_files(release_segments_before(segment), opts_.dir);
}

std::vector<std::string> wal::release_segments_before(std::uint64_t segment) {
  segment = std::min(segment, segment_); // never the one being written
  std::vector<std::string> paths;
  while (!segments_.empty() && segments_.front() < segment) {
    paths.push_back(segment_path(segments_.front()));
    segments_.erase(segments_.begin());
  }
  return paths;
}

result<void> wal::remove_files(const std::vector<std::string>& paths, const std::string& dir) {
  for (const auto& path : paths)
    if (::unlink(path.c_str()) != 0)
      return io_error("cannot remove", path);
  return paths.empty() ? result<void>{} : sync_directory(dir);
}

} // namespace dref::raft::storage
