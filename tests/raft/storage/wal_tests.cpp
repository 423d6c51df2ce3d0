#include <boost/test/unit_test.hpp>
#include <csignal>
#include <fcntl.h>
#include <fstream>
#include <random>
#include <sys/wait.h>
#include <unistd.h>

#include "dref/raft/storage/dir_lock.hpp"
#include "dref/raft/storage/wal.hpp"
#include "scratch_dir.hpp"

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
                                                      std::uint64_t segment_bytes = 64 << 20) {
  replayed out;
  auto log = wal::open({dir, segment_bytes},
                       [&](std::uint8_t type, std::string_view payload) -> dref::result<void> {
                         out.records.push_back({type, std::string{payload}});
                         return {};
                       },
                       &out.report);
  if (!log)
    return std::move(log).error();
  return std::pair<wal, replayed>{std::move(*log), std::move(out)};
}

std::pair<wal, replayed> must_open(const std::string& dir, std::uint64_t segment_bytes = 64 << 20) {
  auto opened = open_and_replay(dir, segment_bytes);
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
  {
    auto [log, got] = must_open(dir.str());
    append_all(log, records);
  }
  auto path = last_segment(dir.str());
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

BOOST_AUTO_TEST_CASE(garbage_or_zeros_after_the_last_record_are_a_torn_tail) {
  for (char fill : {'\0', '\x5a'}) {
    dref::test::scratch_dir dir;
    auto records = sample_records(10, 4);
    {
      auto [log, got] = must_open(dir.str());
      append_all(log, records);
    }
    {
      std::ofstream out{last_segment(dir.str()), std::ios::binary | std::ios::app};
      out << std::string(4096, fill);
    }
    auto [log, got] = must_open(dir.str());
    BOOST_TEST((got.records == records));
    BOOST_TEST(got.report.torn_bytes_truncated == 4096u);
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
    BOOST_TEST_REQUIRE(got.records[i].payload
                       == "record-" + std::to_string(i) + std::string(i % 200, 'x'));
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
      !second && second.error().message.find("pid " + std::to_string(::getppid()))
                   != std::string::npos;
    ::_exit(refused_clearly ? 0 : 1);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  BOOST_TEST(WIFEXITED(status));
  BOOST_TEST(WEXITSTATUS(status) == 0);
}

BOOST_AUTO_TEST_CASE(the_lock_is_free_again_after_release) {
  dref::test::scratch_dir dir;
  { auto first = dir_lock::acquire(dir.sub("data")); BOOST_TEST_REQUIRE(first.has_value()); }
  auto again = dir_lock::acquire(dir.sub("data"));
  BOOST_TEST(again.has_value());
}

BOOST_AUTO_TEST_SUITE_END()
