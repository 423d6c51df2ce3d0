#include "dref/raft/storage/dir_lock.hpp"
#include "dref/raft/storage/wal.hpp"
#include "scratch_dir.hpp"

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <csignal>
#include <fcntl.h>
#include <fstream>
#include <random>
#include <sys/wait.h>
#include <unistd.h>

using namespace dref::raft::storage;
using dref::errc;
namespace fs = std::filesystem;

namespace {

struct record {
  std::uint8_t type;
  std::string payload;
  friend bool operator==(const record&, const record&) = default;
};

struct replayed {
  std::vector<record> records;
  wal::replay_report report;
};

dref::result<std::pair<wal, replayed>> open_and_replay(const std::string& dir,
                                                       std::uint64_t segment_bytes = 64 << 20,
                                                       std::uint64_t preallocate_bytes = 0) {
  replayed out;
  auto log = wal::open(
      {dir, segment_bytes, preallocate_bytes},
      [&](std::uint8_t type, std::string_view payload) -> dref::result<void> {
        out.records.push_back({type, std::string{payload}});
        return {};
      },
      &out.report);
  if (!log)
    return std::move(log).error();
  return std::pair<wal, replayed>{std::move(*log), std::move(out)};
}

std::pair<wal, replayed> must_open(const std::string& dir, std::uint64_t segment_bytes = 64 << 20,
                                   std::uint64_t preallocate_bytes = 0) {
  auto opened = open_and_replay(dir, segment_bytes, preallocate_bytes);
  if (!opened)
    BOOST_FAIL("open failed: " << opened.error().to_string());
  return std::move(*opened);
}

std::vector<record> sample_records(int count, std::uint32_t seed = 1) {
  std::mt19937 rng{seed};
  std::vector<record> out;
  for (int i = 0; i < count; ++i) {
    std::string payload(rng() % 300, '\0');
    for (auto& c : payload)
      c = static_cast<char>(rng());
    out.push_back({static_cast<std::uint8_t>(1 + rng() % 3), std::move(payload)});
  }
  return out;
}

void append_all(wal& log, const std::vector<record>& records) {
  for (const auto& r : records)
    BOOST_TEST_REQUIRE(log.append(r.type, r.payload).has_value());
  BOOST_TEST_REQUIRE(log.sync().has_value());
}

std::string last_segment(const std::string& dir) {
  std::string newest;
  for (const auto& entry : fs::directory_iterator{dir})
    newest = std::max(newest, entry.path().string());
  return newest;
}

// A fresh log in dir holding `records`, closed; its (last) segment's path.
std::string written_log(const std::string& dir, const std::vector<record>& records) {
  {
    auto [log, got] = must_open(dir);
    append_all(log, records);
  }
  return last_segment(dir);
}

} // namespace

BOOST_AUTO_TEST_SUITE(wal_suite)

BOOST_AUTO_TEST_CASE(records_survive_reopen_in_order) {
  dref::test::scratch_dir dir;
  auto records = sample_records(500);
  {
    auto [log, got] = must_open(dir.str());
    BOOST_TEST(got.records.empty());
    append_all(log, records);
  }
  auto [log, got] = must_open(dir.str());
  BOOST_TEST((got.records == records));
  BOOST_TEST(got.report.records == 500u);
  BOOST_TEST(got.report.torn_bytes_truncated == 0u);
  // Appending after a reopen continues the same log.
  append_all(log, {{9, "tail"}});
  auto [again, all] = must_open(dir.str());
  BOOST_TEST_REQUIRE(all.records.size() == 501u);
  BOOST_TEST(all.records.back().payload == "tail");
}

BOOST_AUTO_TEST_CASE(unsynced_records_are_buffered_not_written) {
  dref::test::scratch_dir dir;
  auto [log, got] = must_open(dir.str());
  BOOST_TEST_REQUIRE(log.append(1, "pending").has_value());
  BOOST_TEST(log.buffered_bytes() == wal::record_header_size + 7);
  BOOST_TEST(fs::file_size(last_segment(dir.str())) == wal::segment_header_size);
  BOOST_TEST_REQUIRE(log.sync().has_value());
  BOOST_TEST(log.buffered_bytes() == 0u);
}

BOOST_AUTO_TEST_CASE(segments_roll_and_old_ones_can_be_removed) {
  dref::test::scratch_dir dir;
  auto records = sample_records(400, 2);
  {
    auto [log, got] = must_open(dir.str(), 4096);
    append_all(log, records);
    BOOST_TEST(log.segments().size() > 5u);
    auto first_kept = log.segments()[3];
    BOOST_TEST_REQUIRE(log.remove_segments_before(first_kept).has_value());
    BOOST_TEST(log.segments().front() == first_kept);
  }
  auto [log, got] = must_open(dir.str(), 4096);
  BOOST_TEST(!got.records.empty());
  BOOST_TEST(got.records.size() < records.size());
  // What remains is exactly a suffix of what was written.
  std::vector<record> suffix(records.end() - static_cast<long>(got.records.size()), records.end());
  BOOST_TEST((got.records == suffix));
}

BOOST_AUTO_TEST_CASE(a_torn_tail_at_every_offset_is_cut_and_the_rest_kept) {
  dref::test::scratch_dir dir;
  auto records = sample_records(20, 3);
  auto path = written_log(dir.str(), records);
  auto full_size = fs::file_size(path);
  auto last_record_size = wal::record_header_size + records.back().payload.size();
  std::string original;
  {
    std::ifstream in{path, std::ios::binary};
    original.assign(std::istreambuf_iterator<char>{in}, {});
  }
  for (std::uintmax_t cut = full_size - last_record_size + 1; cut < full_size; ++cut) {
    {
      std::ofstream out{path, std::ios::binary | std::ios::trunc};
      out.write(original.data(), static_cast<std::streamsize>(cut));
    }
    auto [log, got] = must_open(dir.str());
    BOOST_TEST_REQUIRE(got.records.size() == records.size() - 1);
    BOOST_TEST(got.report.torn_bytes_truncated == cut - (full_size - last_record_size));
    BOOST_TEST(fs::file_size(path) == full_size - last_record_size);
  }
}

BOOST_AUTO_TEST_CASE(garbage_after_the_last_record_is_a_torn_tail) {
  dref::test::scratch_dir dir;
  auto records = sample_records(10, 4);
  {
    auto [log, got] = must_open(dir.str());
    append_all(log, records);
  }
  {
    std::ofstream out{last_segment(dir.str()), std::ios::binary | std::ios::app};
    out << std::string(4096, '\x5a');
  }
  auto [log, got] = must_open(dir.str());
  BOOST_TEST((got.records == records));
  BOOST_TEST(got.report.torn_bytes_truncated == 4096u);
}

// Zeros after the records are space never written (preallocated, or
// extended by the file system): kept, and the next records go where the
// records end, not after the zeros.
BOOST_AUTO_TEST_CASE(zeros_after_the_last_record_are_unwritten_space) {
  dref::test::scratch_dir dir;
  auto records = sample_records(10, 4);
  auto path = written_log(dir.str(), records);
  auto records_end = fs::file_size(path);
  {
    std::ofstream out{path, std::ios::binary | std::ios::app};
    out << std::string(4096, '\0');
  }
  {
    auto [log, got] = must_open(dir.str());
    BOOST_TEST((got.records == records));
    BOOST_TEST(got.report.torn_bytes_truncated == 0u);
    BOOST_TEST(fs::file_size(path) == records_end + 4096);
    append_all(log, {{9, "next"}});
  }
  auto [log, got] = must_open(dir.str());
  BOOST_TEST_REQUIRE(got.records.size() == records.size() + 1);
  BOOST_TEST(got.records.back().payload == "next");
  BOOST_TEST(fs::file_size(path) == records_end + 4096); // written into the zeros
}

// With preallocation the file runs ahead of the records in zeros, segments
// that rolled keep theirs, and everything reads back across reopens.
BOOST_AUTO_TEST_CASE(preallocated_segments_read_back_and_go_on_after_a_reopen) {
  dref::test::scratch_dir dir;
  constexpr std::uint64_t segment_bytes = 4 << 10;
  constexpr std::uint64_t preallocate = 1 << 10;
  auto records = sample_records(200, 6);
  std::vector<record> first(records.begin(), records.begin() + 100);
  std::vector<record> second(records.begin() + 100, records.end());
  {
    auto [log, got] = must_open(dir.str(), segment_bytes, preallocate);
    append_all(log, first);
    BOOST_TEST(log.segments().size() > 2u);
  }
  std::uintmax_t records_bytes = 0;
  for (const auto& r : first)
    records_bytes += wal::record_header_size + r.payload.size();
  std::uintmax_t file_bytes = 0;
  for (const auto& entry : fs::directory_iterator{dir.str()})
    file_bytes += entry.file_size();
  BOOST_TEST(file_bytes > records_bytes + preallocate / 2); // zeros ahead of the records
  {
    auto [log, got] = must_open(dir.str(), segment_bytes, preallocate);
    BOOST_TEST((got.records == first));
    BOOST_TEST(got.report.torn_bytes_truncated == 0u);
    append_all(log, second);
  }
  auto [log, got] = must_open(dir.str(), segment_bytes, preallocate);
  BOOST_TEST((got.records == records));
}

// A disk may keep an unsynced write's sectors out of order: a record torn in
// zeroed space, followed by an intact one of the same write, goes with it
// (never acknowledged). A length damaged to reach over later records into
// the zeros is still corruption.
BOOST_AUTO_TEST_CASE(a_torn_record_goes_with_what_follows_it_but_a_damaged_length_is_refused) {
  for (bool torn : {true, false}) {
    dref::test::scratch_dir dir;
    auto records = sample_records(10, 8);
    std::vector<record> round{{2, std::string(1500, '\x33')}, {1, "after"}};
    std::uintmax_t round_at = wal::segment_header_size;
    for (const auto& r : records)
      round_at += wal::record_header_size + r.payload.size();
    {
      auto [log, got] = must_open(dir.str(), 64 << 20, 8 << 10);
      append_all(log, records);
      append_all(log, round);
    }
    auto path = last_segment(dir.str());
    auto size_before = fs::file_size(path);
    {
      std::fstream file{path, std::ios::binary | std::ios::in | std::ios::out};
      if (torn) { // one sector of the big record never reached the disk
        file.seekp(
            static_cast<std::streamoff>((round_at + wal::record_header_size + 511) / 512 * 512));
        file << std::string(512, '\0');
      } else { // the first record's length now reaches into the zeros
        BOOST_TEST_REQUIRE(size_before > wal::segment_header_size + 5000);
        BOOST_TEST_REQUIRE(round_at + 2 * wal::record_header_size + 1505 < 5000);
        file.seekp(static_cast<std::streamoff>(wal::segment_header_size));
        file.write("\x88\x13\x00\x00", 4); // 5000
      }
    }
    auto opened = open_and_replay(dir.str(), 64 << 20, 8 << 10);
    if (torn) {
      BOOST_TEST_REQUIRE(opened.has_value());
      BOOST_TEST((opened->second.records == records));
      BOOST_TEST(opened->second.report.torn_bytes_truncated ==
                 2 * wal::record_header_size + 1500 + 5);
      BOOST_TEST(fs::file_size(path) == round_at);
    } else {
      BOOST_TEST_REQUIRE(!opened.has_value());
      BOOST_TEST((opened.error().code == errc::corrupt_data));
      BOOST_TEST(fs::file_size(path) == size_before);
    }
  }
}

// A write cut short in zeroed space leaves a record whose whole declared
// length is in the file, its tail zeros from a sector boundary on (the part
// that never reached the disk): torn, and cut off, not refused as
// corruption. The same record with one byte flipped instead is corruption.
BOOST_AUTO_TEST_CASE(a_record_torn_in_zeroed_space_is_cut_and_a_damaged_one_refused) {
  for (bool torn : {true, false}) {
    dref::test::scratch_dir dir;
    auto records = sample_records(10, 7);
    records.push_back({2, std::string(1500, '\x33')}); // spans sector boundaries
    std::uintmax_t last_at = 0;
    {
      auto [log, got] = must_open(dir.str(), 64 << 20, 8 << 10);
      append_all(log, std::vector<record>(records.begin(), records.end() - 1));
      last_at = wal::segment_header_size;
      for (auto it = records.begin(); it != records.end() - 1; ++it)
        last_at += wal::record_header_size + it->payload.size();
      append_all(log, {records.back()});
    }
    auto path = last_segment(dir.str());
    auto size_before = fs::file_size(path);
    {
      std::fstream file{path, std::ios::binary | std::ios::in | std::ios::out};
      if (torn) { // zeros from the first sector boundary past its header on
        auto from = (last_at + wal::record_header_size + 511) / 512 * 512;
        file.seekp(static_cast<std::streamoff>(from));
        file << std::string(last_at + wal::record_header_size + 1500 - from, '\0');
      } else {
        file.seekp(static_cast<std::streamoff>(last_at + wal::record_header_size + 700));
        file.put('\x34');
      }
    }
    auto opened = open_and_replay(dir.str(), 64 << 20, 8 << 10);
    if (torn) {
      BOOST_TEST_REQUIRE(opened.has_value());
      auto& got = opened->second;
      BOOST_TEST((got.records == std::vector<record>(records.begin(), records.end() - 1)));
      // What the write left before the zeros.
      auto zeros_from = (last_at + wal::record_header_size + 511) / 512 * 512;
      BOOST_TEST(got.report.torn_bytes_truncated == zeros_from - last_at);
      BOOST_TEST(fs::file_size(path) == last_at);
    } else {
      BOOST_TEST_REQUIRE(!opened.has_value());
      BOOST_TEST((opened.error().code == errc::corrupt_data));
      BOOST_TEST(opened.error().message.find("not a torn write") != std::string::npos);
      BOOST_TEST(fs::file_size(path) == size_before);
    }
  }
}

BOOST_AUTO_TEST_CASE(damage_followed_by_valid_records_is_corruption_not_a_tear) {
  dref::test::scratch_dir dir;
  {
    auto [log, got] = must_open(dir.str());
    append_all(log, sample_records(10, 5));
  }
  auto path = last_segment(dir.str());
  {
    std::fstream file{path, std::ios::binary | std::ios::in | std::ios::out};
    file.seekp(static_cast<std::streamoff>(wal::segment_header_size + wal::record_header_size));
    file.put('\x01');
    file.put('\x02');
  }
  auto opened = open_and_replay(dir.str());
  BOOST_TEST_REQUIRE(!opened.has_value());
  BOOST_TEST((opened.error().code == errc::corrupt_data));
  BOOST_TEST(opened.error().message.find("not a torn write") != std::string::npos);
  // Nothing was cut: the file is as the damage left it.
  BOOST_TEST(fs::file_size(path) > wal::segment_header_size + 9 * wal::record_header_size);
}

std::string file_bytes(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  return {std::istreambuf_iterator<char>{in}, {}};
}

void flip_byte(const std::string& path, std::uintmax_t offset) {
  std::fstream file{path, std::ios::binary | std::ios::in | std::ios::out};
  file.seekg(static_cast<std::streamoff>(offset));
  char byte = 0;
  file.read(&byte, 1);
  file.seekp(static_cast<std::streamoff>(offset));
  file.put(static_cast<char>(byte ^ 0x20));
}

// etcd's rule: the last record is all there (its declared length fits in
// the file) but fails its check, so it was written whole and damaged since:
// refused, naming the file and the offset, and nothing is cut off.
BOOST_AUTO_TEST_CASE(a_whole_last_record_that_fails_its_check_is_corruption_at_its_offset) {
  // A payload byte, then a checksum byte, then the type byte.
  for (std::uintmax_t into_record :
       {wal::record_header_size + 3, std::uintmax_t{9}, std::uintmax_t{4}}) {
    dref::test::scratch_dir dir;
    auto records = sample_records(10, 11);
    records.push_back({2, "the last record, acknowledged once synced"});
    {
      auto [log, got] = must_open(dir.str());
      append_all(log, records);
    }
    auto path = last_segment(dir.str());
    auto size = fs::file_size(path);
    auto last_at = size - (wal::record_header_size + records.back().payload.size());
    flip_byte(path, last_at + into_record);
    auto damaged = file_bytes(path);
    auto opened = open_and_replay(dir.str());
    BOOST_TEST_REQUIRE(!opened.has_value(), "opened after damage at +" << into_record);
    BOOST_TEST((opened.error().code == errc::corrupt_data));
    const auto& message = opened.error().message;
    BOOST_TEST(message.find(path) != std::string::npos, message);
    BOOST_TEST(message.find("offset " + std::to_string(last_at)) != std::string::npos, message);
    BOOST_TEST(message.find("not a torn write") != std::string::npos, message);
    BOOST_TEST(file_bytes(path) == damaged); // nothing cut off
  }
}

// Only a short tail is a torn write: a partial header, or a record whose
// declared length runs past the end of the file. It is cut off, the rest is
// kept and the log goes on from there.
BOOST_AUTO_TEST_CASE(a_short_last_record_is_a_torn_write_and_cut_off) {
  auto records = sample_records(10, 12);
  records.push_back({1, std::string(200, 'p')});
  auto last_size = wal::record_header_size + records.back().payload.size();
  for (std::uintmax_t kept :
       {std::uintmax_t{5}, wal::record_header_size, wal::record_header_size + 100, last_size - 1}) {
    dref::test::scratch_dir dir;
    {
      auto [log, got] = must_open(dir.str());
      append_all(log, records);
    }
    auto path = last_segment(dir.str());
    auto last_at = fs::file_size(path) - last_size;
    fs::resize_file(path, last_at + kept);
    {
      auto [log, got] = must_open(dir.str());
      BOOST_TEST(got.records.size() == records.size() - 1);
      BOOST_TEST(got.report.torn_bytes_truncated == kept);
      BOOST_TEST(fs::file_size(path) == last_at);
      append_all(log, {{3, "after the tear"}});
    }
    auto [log, got] = must_open(dir.str());
    BOOST_TEST_REQUIRE(got.records.size() == records.size());
    BOOST_TEST(got.records.back().payload == "after the tear");
  }
}

// A length field damaged into a huge one looks like a short tail, but the
// valid records behind it show it is not: corruption, nothing cut off.
BOOST_AUTO_TEST_CASE(a_short_looking_record_followed_by_valid_ones_is_corruption) {
  dref::test::scratch_dir dir;
  auto records = sample_records(10, 14);
  auto path = written_log(dir.str(), records);
  auto third_at = wal::segment_header_size;
  for (int i = 0; i < 2; ++i)
    third_at += wal::record_header_size + records[static_cast<std::size_t>(i)].payload.size();
  {
    std::fstream file{path, std::ios::binary | std::ios::in | std::ios::out};
    file.seekp(static_cast<std::streamoff>(third_at));
    file.write("\xff\xff\xff\x3f", 4);
  }
  auto size = fs::file_size(path);
  auto opened = open_and_replay(dir.str());
  BOOST_TEST_REQUIRE(!opened.has_value());
  BOOST_TEST((opened.error().code == errc::corrupt_data));
  const auto& message = opened.error().message;
  BOOST_TEST(message.find("offset " + std::to_string(third_at)) != std::string::npos, message);
  BOOST_TEST(message.find("is followed by a valid record") != std::string::npos, message);
  BOOST_TEST(fs::file_size(path) == size);
}

// Names that are not segments, some of them nearly so, and a directory with
// a segment's name: skipped and reported, never thrown on, never replayed.
BOOST_AUTO_TEST_CASE(stray_files_are_skipped_and_reported) {
  dref::test::scratch_dir dir;
  auto records = sample_records(5, 13);
  {
    auto [log, got] = must_open(dir.str());
    append_all(log, records);
  }
  std::vector<std::string> strays{"notes.txt",
                                  "wal-xyz",
                                  "wal-zzzzzzzzzzzzzzzz.log",
                                  "wal-0x00000000000001.log",
                                  "wal-000000000000000A.log",
                                  "wal-0000000000000000.log.bak"};
  for (const auto& name : strays)
    std::ofstream{dir.sub(name)} << "not a segment";
  fs::create_directory(dir.sub("wal-0000000000000001.log"));
  strays.push_back("wal-0000000000000001.log");
  std::sort(strays.begin(), strays.end());
  auto opened = open_and_replay(dir.str());
  BOOST_TEST_REQUIRE(opened.has_value(), (opened ? "" : opened.error().message));
  auto& [log, got] = *opened;
  BOOST_TEST((got.records == records));
  BOOST_TEST(got.report.segments == 1u);
  BOOST_TEST(got.report.skipped_files == strays, boost::test_tools::per_element());
  // Appending goes on in the one real segment.
  append_all(log, {{1, "more"}});
  BOOST_TEST(log.segments() == std::vector<std::uint64_t>{0}, boost::test_tools::per_element());
}

// The test-only failpoint: the n-th segment sync since open fails with EIO,
// and from then on the log refuses to append or sync (nothing after a
// failed sync may be acknowledged).
BOOST_AUTO_TEST_CASE(the_sync_failpoint_fails_the_nth_sync_and_the_log_stays_stopped) {
  dref::test::scratch_dir dir;
  {
    wal::options opts{dir.str()};
    opts.faults.fail_sync_at = 3; // 1: the new segment's header, 2 and 3: two syncs
    auto log =
        wal::open(opts, [](std::uint8_t, std::string_view) -> dref::result<void> { return {}; });
    BOOST_TEST_REQUIRE(log.has_value());
    BOOST_TEST_REQUIRE(log->append(1, "synced").has_value());
    BOOST_TEST_REQUIRE(log->sync().has_value());
    BOOST_TEST_REQUIRE(log->append(1, "not acknowledged").has_value());
    auto failed = log->sync();
    BOOST_TEST_REQUIRE(!failed.has_value());
    BOOST_TEST((failed.error().code == errc::io_failed));
    BOOST_TEST(failed.error().message.find("Input/output error") != std::string::npos,
               failed.error().message);
    BOOST_TEST(failed.error().message.find("failpoint") != std::string::npos);
    auto refused = log->append(1, "after the failure");
    BOOST_TEST_REQUIRE(!refused.has_value());
    BOOST_TEST(refused.error().message.find("earlier failure") != std::string::npos);
    BOOST_TEST(!log->sync().has_value());
    BOOST_TEST(!log->roll().has_value());
  }
  auto [log, got] = must_open(dir.str());
  BOOST_TEST_REQUIRE(!got.records.empty());
  BOOST_TEST(got.records.front().payload == "synced");
  BOOST_TEST(got.records.size() <= 2u);
}

BOOST_AUTO_TEST_CASE(damage_in_an_older_segment_is_corruption) {
  dref::test::scratch_dir dir;
  std::string first;
  {
    auto [log, got] = must_open(dir.str(), 2048);
    append_all(log, sample_records(100, 6));
    first = dir.str() + "/wal-0000000000000000.log";
  }
  {
    std::fstream file{first, std::ios::binary | std::ios::in | std::ios::out};
    file.seekp(static_cast<std::streamoff>(wal::segment_header_size + wal::record_header_size + 1));
    file.put('\x7f');
  }
  auto opened = open_and_replay(dir.str(), 2048);
  BOOST_TEST_REQUIRE(!opened.has_value());
  BOOST_TEST((opened.error().code == errc::corrupt_data));
  BOOST_TEST(opened.error().message.find("not the last") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_missing_segment_is_corruption) {
  dref::test::scratch_dir dir;
  {
    auto [log, got] = must_open(dir.str(), 2048);
    append_all(log, sample_records(100, 7));
  }
  fs::remove(dir.str() + "/wal-0000000000000001.log");
  auto opened = open_and_replay(dir.str(), 2048);
  BOOST_TEST_REQUIRE(!opened.has_value());
  BOOST_TEST(opened.error().message.find("is missing") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(reserved_type_and_visitor_errors) {
  dref::test::scratch_dir dir;
  {
    auto [log, got] = must_open(dir.str());
    auto refused = log.append(0, "x");
    BOOST_TEST_REQUIRE(!refused.has_value());
    BOOST_TEST((refused.error().code == errc::invalid_argument));
    append_all(log, sample_records(3, 8));
  }
  auto opened = wal::open({dir.str()}, [](std::uint8_t, std::string_view) -> dref::result<void> {
    return dref::error{errc::corrupt_data, "entry out of order"};
  });
  BOOST_TEST_REQUIRE(!opened.has_value());
  BOOST_TEST(opened.error().message == "entry out of order");
}

// A child process appends and syncs, reporting each synced count on a pipe,
// and is killed with SIGKILL mid-stream: every record it reported as synced
// must be there after reopening.
BOOST_AUTO_TEST_CASE(synced_records_survive_kill_9) {
  dref::test::scratch_dir dir;
  int pipe_fds[2];
  BOOST_TEST_REQUIRE(::pipe(pipe_fds) == 0);
  pid_t child = ::fork();
  BOOST_TEST_REQUIRE(child >= 0);
  if (child == 0) {
    ::close(pipe_fds[0]);
    auto log = wal::open({dir.str(), 1 << 16},
                         [](std::uint8_t, std::string_view) -> dref::result<void> { return {}; });
    if (!log)
      ::_exit(2);
    for (std::uint32_t n = 0;; ++n) {
      std::string payload = "record-" + std::to_string(n) + std::string(n % 200, 'x');
      if (!log->append(1, payload) || !log->sync())
        ::_exit(3);
      if (::write(pipe_fds[1], &n, sizeof(n)) != sizeof(n))
        ::_exit(4);
    }
  }
  ::close(pipe_fds[1]);
  std::uint32_t acknowledged = 0;
  std::uint32_t n = 0;
  for (int i = 0; i < 300 && ::read(pipe_fds[0], &n, sizeof(n)) == sizeof(n); ++i)
    acknowledged = n;
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ::close(pipe_fds[0]);
  BOOST_TEST_REQUIRE(WIFSIGNALED(status));
  auto [log, got] = must_open(dir.str(), 1 << 16);
  BOOST_TEST_REQUIRE(got.records.size() >= acknowledged + 1);
  for (std::uint32_t i = 0; i <= acknowledged; ++i)
    BOOST_TEST_REQUIRE(got.records[i].payload ==
                       "record-" + std::to_string(i) + std::string(i % 200, 'x'));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(dir_lock_suite)

BOOST_AUTO_TEST_CASE(a_second_holder_is_refused_with_the_first_pid) {
  dref::test::scratch_dir dir;
  auto first = dir_lock::acquire(dir.sub("data"));
  BOOST_TEST_REQUIRE(first.has_value());
  pid_t child = ::fork();
  if (child == 0) {
    auto second = dir_lock::acquire(dir.sub("data"));
    bool refused_clearly =
        !second &&
        second.error().message.find("pid " + std::to_string(::getppid())) != std::string::npos;
    ::_exit(refused_clearly ? 0 : 1);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  BOOST_TEST(WIFEXITED(status));
  BOOST_TEST(WEXITSTATUS(status) == 0);
}

BOOST_AUTO_TEST_CASE(the_lock_is_free_again_after_release) {
  dref::test::scratch_dir dir;
  {
    auto first = dir_lock::acquire(dir.sub("data"));
    BOOST_TEST_REQUIRE(first.has_value());
  }
  auto again = dir_lock::acquire(dir.sub("data"));
  BOOST_TEST(again.has_value());
}

BOOST_AUTO_TEST_SUITE_END()
