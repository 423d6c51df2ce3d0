#include "dref/raft/storage/wal.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <unistd.h>
#include <xxhash.h>

#include "little_endian.hpp"

namespace dref::raft::storage {

namespace {

constexpr char segment_magic[4] = {'d', 'R', 'f', 'W'};
constexpr std::uint8_t segment_format = 1;

using detail::get_le;
using detail::put_le;

std::uint64_t checksum(std::uint8_t type, std::string_view payload) {
  // The type is the seed, so a flipped type byte fails the check too.
  return XXH3_64bits_withSeed(payload.data(), payload.size(), type);
}

// A record that starts at `at` and is whole and intact: its total size.
// Zero when there is none.
std::size_t valid_record_at(std::string_view bytes, std::size_t at) {
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

std::string hex16(std::uint64_t number) {
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(number));
  return text;
}

} // namespace

std::string wal::segment_path(std::uint64_t number) const {
  return opts_.dir + "/wal-" + hex16(number) + ".log";
}

result<wal> wal::open(const options& opts, const visitor& visit, replay_report* report) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(opts.dir, ec);
  if (ec)
    return error{errc::io_failed, "cannot create WAL directory " + opts.dir + ": " + ec.message()};
  wal log{opts};
  for (const auto& entry : fs::directory_iterator{opts.dir, ec}) {
    auto name = entry.path().filename().string();
    if (name.size() == 24 && name.rfind("wal-", 0) == 0 && name.ends_with(".log"))
      log.segments_.push_back(std::stoull(name.substr(4, 16), nullptr, 16));
  }
  if (ec)
    return error{errc::io_failed, "cannot list WAL directory " + opts.dir + ": " + ec.message()};
  std::sort(log.segments_.begin(), log.segments_.end());
  replay_report local_report;
  replay_report& rep = report ? *report : local_report;
  rep = {};
  for (std::size_t i = 0; i < log.segments_.size(); ++i) {
    auto number = log.segments_[i];
    auto path = log.segment_path(number);
    bool last = i + 1 == log.segments_.size();
    if (i > 0 && number != log.segments_[i - 1] + 1)
      return error{errc::corrupt_data, "WAL segment " + log.segment_path(log.segments_[i - 1] + 1)
                                         + " is missing (found " + path + " after "
                                         + log.segment_path(log.segments_[i - 1]) + ")"};
    auto bytes = read_whole_file(path);
    if (!bytes)
      return std::move(bytes).error();
    std::string_view view{*bytes};
    std::size_t at = 0;
    bool header_ok = view.size() >= segment_header_size
                     && view.substr(0, 4) == std::string_view{segment_magic, 4}
                     && static_cast<std::uint8_t>(view[4]) == segment_format
                     && get_le(view, 8, 8) == number;
    if (header_ok) {
      at = segment_header_size;
    } else if (!(last && view.size() < segment_header_size)) {
      return error{errc::corrupt_data, path + " does not start with a valid segment header"};
    }
    while (header_ok && at < view.size()) {
      auto size = valid_record_at(view, at);
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
    if (at == view.size())
      continue;
    // Damage. A torn write only ever leaves garbage at the very end of the
    // last segment, with nothing valid behind it.
    if (!last)
      return error{errc::corrupt_data, path + ": damaged record at offset " + std::to_string(at)
                                         + " in a segment that is not the last"};
    for (std::size_t probe = at + 1; probe < view.size(); ++probe)
      if (valid_record_at(view, probe) != 0)
        return error{errc::corrupt_data,
                     path + ": damaged record at offset " + std::to_string(at)
                       + " is followed by a valid record at offset " + std::to_string(probe)
                       + "; this is not a torn write, refusing to drop acknowledged data"};
    rep.torn_bytes_truncated = view.size() - at;
    if (!header_ok) { // a segment torn before its header was complete
      if (::unlink(path.c_str()) != 0)
        return io_error("cannot remove torn segment", path);
      log.segments_.pop_back();
    } else if (::truncate(path.c_str(), static_cast<off_t>(at)) != 0) {
      return io_error("cannot truncate torn tail of", path);
    }
  }
  if (log.segments_.empty()) {
    if (auto ok = log.start_segment(0); !ok)
      return std::move(ok).error();
  } else {
    log.segment_ = log.segments_.back();
    auto path = log.segment_path(log.segment_);
    auto fd = open_file(path, O_WRONLY | O_APPEND);
    if (!fd)
      return std::move(fd).error();
    log.file_ = std::move(*fd);
    log.segment_size_ = static_cast<std::uint64_t>(::lseek(log.file_.get(), 0, SEEK_END));
    if (rep.torn_bytes_truncated > 0 && ::fsync(log.file_.get()) != 0)
      return io_error("cannot fsync", path);
  }
  return log;
}

result<void> wal::start_segment(std::uint64_t number) {
  auto path = segment_path(number);
  auto fd = open_file(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND);
  if (!fd)
    return std::move(fd).error();
  std::string header{segment_magic, 4};
  header.push_back(static_cast<char>(segment_format));
  header.append(3, '\0');
  put_le(header, number, 8);
  if (auto ok = write_all(fd->get(), header, path); !ok)
    return ok;
  if (::fsync(fd->get()) != 0)
    return io_error("cannot fsync", path);
  if (auto ok = sync_directory(opts_.dir); !ok)
    return ok;
  file_ = std::move(*fd);
  segment_ = number;
  segment_size_ = header.size();
  segments_.push_back(number);
  return {};
}

result<std::uint64_t> wal::append(std::uint8_t type, std::string_view payload) {
  if (type == 0)
    return error{errc::invalid_argument, "WAL record type 0 is reserved"};
  if (payload.size() > max_record_bytes)
    return error{errc::value_too_large, "WAL record of " + std::to_string(payload.size())
                                          + " bytes exceeds " + std::to_string(max_record_bytes)};
  if (segment_size_ > segment_header_size
      && segment_size_ + record_header_size + payload.size() > opts_.segment_bytes) {
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
  if (buffer_.empty())
    return {};
  auto ok = write_all(file_.get(), buffer_, segment_path(segment_));
  buffer_.clear();
  return ok;
}

result<void> wal::sync() {
  if (auto ok = flush(); !ok)
    return ok;
  if (::fdatasync(file_.get()) != 0)
    return io_error("cannot fdatasync", segment_path(segment_));
  return {};
}

result<void> wal::roll() {
  if (auto ok = sync(); !ok)
    return ok;
  return start_segment(segment_ + 1);
}

result<void> wal::remove_segments_before(std::uint64_t segment) {
  segment = std::min(segment, segment_); // never the one being written
  bool removed = false;
  while (!segments_.empty() && segments_.front() < segment) {
    auto path = segment_path(segments_.front());
    if (::unlink(path.c_str()) != 0)
      return io_error("cannot remove", path);
    segments_.erase(segments_.begin());
    removed = true;
  }
  return removed ? sync_directory(opts_.dir) : result<void>{};
}

} // namespace dref::raft::storage
