#include "dref/raft/storage/dir_lock.hpp"
#include "dref/raft/storage/raft_storage.hpp"
#include "scratch_dir.hpp"
#include "wal_records.hpp"

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>

using namespace dref::raft;
using dref::errc;
namespace fs = std::filesystem;

namespace {

core::entry make_entry(std::uint64_t index, std::uint64_t term, std::string data = {}) {
  core::entry e;
  e.index = index;
  e.term = term;
  e.client_id = 7;
  e.sequence = index;
  e.data = data.empty() ? "cmd-" + std::to_string(index) + "@" + std::to_string(term) : data;
  return e;
}

std::vector<core::entry> make_entries(std::uint64_t from, std::uint64_t to, std::uint64_t term) {
  std::vector<core::entry> out;
  for (auto i = from; i <= to; ++i)
    out.push_back(make_entry(i, term));
  return out;
}

core::ready ready_with(std::vector<core::entry> entries,
                       std::optional<core::hard_state> hard = {}) {
  core::ready r;
  r.entries = std::move(entries);
  r.hard = hard;
  return r;
}

struct reopened {
  storage::raft_storage storage;
  core::persisted_state state;
};

reopened reopen(const std::string& dir) {
  core::persisted_state state;
  auto storage = storage::raft_storage::open(dir, state);
  BOOST_REQUIRE_MESSAGE(storage.has_value(), (storage ? "" : storage.error().message));
  return {std::move(*storage), std::move(state)};
}

core::snapshot make_snapshot(std::uint64_t index, std::uint64_t term, std::string data) {
  core::snapshot s;
  s.metadata.index = index;
  s.metadata.term = term;
  s.metadata.config.voters = {1, 2, 3};
  s.data = std::move(data);
  return s;
}

// Where the records of a WAL segment file end and its zeros start.
std::uintmax_t records_end(const fs::path& segment) {
  std::ifstream in{segment, std::ios::binary};
  std::string bytes{std::istreambuf_iterator<char>{in}, {}};
  return dref::test::wal_records_end(bytes);
}

// Entries 1-20 and a snapshot at 10: reopened, the snapshot and 11-20.
void write_20_entries_compacted_at_10(const std::string& dir) {
  auto r = reopen(dir);
  BOOST_REQUIRE(r.storage.save(ready_with(make_entries(1, 20, 1))));
  BOOST_REQUIRE(r.storage.compact(make_snapshot(10, 1, "s"), {1, 1, 20}, make_entries(11, 20, 1)));
}

// Opens what write_20_entries_compacted_at_10 left (and whatever else is in
// dir), checks that it is all there and returns what opening reported.
storage::recovery_report reopen_compacted_at_10(const std::string& dir) {
  storage::recovery_report report;
  core::persisted_state state;
  auto storage = storage::raft_storage::open(dir, state, &report);
  BOOST_REQUIRE_MESSAGE(storage.has_value(), (storage ? "" : storage.error().message));
  BOOST_TEST(state.snapshot.index == 10u);
  BOOST_TEST(state.entries.size() == 10u);
  return report;
}

} // namespace

BOOST_AUTO_TEST_SUITE(raft_storage_suite)

BOOST_AUTO_TEST_CASE(a_fresh_directory_holds_nothing) {
  dref::test::scratch_dir dir;
  auto r = reopen(dir.str());
  BOOST_TEST(r.state.entries.empty());
  BOOST_TEST(r.state.hard.term == 0u);
  BOOST_TEST(r.state.snapshot.index == 0u);
}

BOOST_AUTO_TEST_CASE(entries_and_hard_state_survive_a_reopen) {
  dref::test::scratch_dir dir;
  {
    auto r = reopen(dir.str());
    BOOST_REQUIRE(r.storage.save(ready_with(make_entries(1, 5, 1), core::hard_state{1, 2, 0})));
    BOOST_REQUIRE(r.storage.save(ready_with(make_entries(6, 8, 2), core::hard_state{2, 3, 5})));
  }
  auto r = reopen(dir.str());
  BOOST_TEST(r.state.entries.size() == 8u);
  BOOST_TEST((r.state.entries == [] {
    auto all = make_entries(1, 5, 1);
    auto more = make_entries(6, 8, 2);
    all.insert(all.end(), more.begin(), more.end());
    return all;
  }()));
  BOOST_TEST((r.state.hard == core::hard_state{2, 3, 5}));
}

BOOST_AUTO_TEST_CASE(a_commit_index_alone_is_written_for_the_next_open) {
  dref::test::scratch_dir dir;
  {
    auto r = reopen(dir.str());
    BOOST_REQUIRE(r.storage.save(ready_with(make_entries(1, 5, 1), core::hard_state{1, 2, 0})));
    // No entries, same term and vote: written, not synced.
    BOOST_REQUIRE(r.storage.save(ready_with({}, core::hard_state{1, 2, 4})));
    // A new vote after it is synced as before.
    BOOST_REQUIRE(r.storage.save(ready_with({}, core::hard_state{2, 3, 4})));
    BOOST_REQUIRE(r.storage.save(ready_with({}, core::hard_state{2, 3, 5})));
  }
  auto r = reopen(dir.str());
  BOOST_TEST(r.state.entries.size() == 5u);
  BOOST_TEST((r.state.hard == core::hard_state{2, 3, 5}));
}

BOOST_AUTO_TEST_CASE(an_overwritten_suffix_is_replaced_on_replay) {
  dref::test::scratch_dir dir;
  {
    auto r = reopen(dir.str());
    BOOST_REQUIRE(r.storage.save(ready_with(make_entries(1, 10, 1))));
    // A new leader's entries conflict from index 6 on.
    BOOST_REQUIRE(r.storage.save(ready_with(make_entries(6, 7, 3))));
  }
  auto r = reopen(dir.str());
  BOOST_REQUIRE(r.state.entries.size() == 7u);
  BOOST_TEST(r.state.entries[4].term == 1u);
  BOOST_TEST(r.state.entries[5].term == 3u);
  BOOST_TEST(r.state.entries.back().index == 7u);
}

BOOST_AUTO_TEST_CASE(compaction_keeps_the_tail_and_the_snapshot) {
  dref::test::scratch_dir dir;
  {
    auto r = reopen(dir.str());
    BOOST_REQUIRE(r.storage.save(ready_with(make_entries(1, 100, 1), core::hard_state{1, 1, 90})));
    auto tail = make_entries(81, 100, 1);
    BOOST_REQUIRE(r.storage.compact(make_snapshot(80, 1, "state@80"), {1, 1, 90}, tail));
    BOOST_REQUIRE(
        r.storage.save(ready_with(make_entries(101, 102, 2), core::hard_state{2, 1, 101})));
  }
  auto r = reopen(dir.str());
  BOOST_TEST(r.state.snapshot.index == 80u);
  BOOST_TEST(r.state.snapshot.term == 1u);
  BOOST_TEST((r.state.snapshot.config.voters == std::vector<std::uint64_t>{1, 2, 3}));
  BOOST_TEST(r.state.snapshot_data == "state@80");
  BOOST_REQUIRE(r.state.entries.size() == 22u);
  BOOST_TEST(r.state.entries.front().index == 81u);
  BOOST_TEST(r.state.entries.back().index == 102u);
  BOOST_TEST((r.state.hard == core::hard_state{2, 1, 101}));
  // The segments before the compaction are gone.
  std::size_t segments = 0;
  for (const auto& f : fs::directory_iterator{dir.path})
    segments += f.path().extension() == ".log";
  BOOST_TEST(segments == 1u);
}

BOOST_AUTO_TEST_CASE(an_installed_snapshot_replaces_the_whole_log) {
  dref::test::scratch_dir dir;
  {
    auto r = reopen(dir.str());
    BOOST_REQUIRE(r.storage.save(ready_with(make_entries(1, 30, 1))));
    core::ready install;
    install.snapshot_to_install = make_snapshot(500, 4, "leader state");
    install.hard = core::hard_state{4, 0, 500};
    BOOST_REQUIRE(r.storage.save(install));
    BOOST_REQUIRE(r.storage.save(ready_with(make_entries(501, 503, 4))));
  }
  auto r = reopen(dir.str());
  BOOST_TEST(r.state.snapshot.index == 500u);
  BOOST_TEST(r.state.snapshot_data == "leader state");
  BOOST_REQUIRE(r.state.entries.size() == 3u);
  BOOST_TEST(r.state.entries.front().index == 501u);
}

BOOST_AUTO_TEST_CASE(a_lost_snapshot_file_is_reported_as_corruption) {
  dref::test::scratch_dir dir;
  write_20_entries_compacted_at_10(dir.str());
  for (const auto& f : fs::directory_iterator{dir.path})
    if (f.path().extension() == ".snap")
      fs::remove(f.path());
  core::persisted_state state;
  auto storage = storage::raft_storage::open(dir.str(), state);
  BOOST_REQUIRE(!storage.has_value());
  BOOST_TEST((storage.error().code == errc::corrupt_data));
  BOOST_TEST(storage.error().message.find("no intact snapshot") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_torn_tail_loses_only_the_unsynced_record) {
  dref::test::scratch_dir dir;
  {
    auto r = reopen(dir.str());
    BOOST_REQUIRE(r.storage.save(ready_with(make_entries(1, 4, 1), core::hard_state{1, 1, 3})));
  }
  // The front of a fifth entry record in the zeros after the records, up to
  // a sector boundary, as a process that died mid-write leaves it.
  fs::path segment;
  for (const auto& f : fs::directory_iterator{dir.path})
    if (f.path().extension() == ".log")
      segment = f.path();
  auto at = records_end(segment);
  BOOST_REQUIRE(fs::file_size(segment) > at + 1024); // preallocated
  {
    std::fstream out{segment, std::ios::binary | std::ios::in | std::ios::out};
    out.seekp(static_cast<std::streamoff>(at));
    out << std::string("\x40\x02\x00\x00\x01\x00\x00\x00checksum", 16); // 576 bytes
    out << std::string((at + 16 + 511) / 512 * 512 - (at + 16), 'p');
  }
  storage::recovery_report report;
  core::persisted_state state;
  auto storage = storage::raft_storage::open(dir.str(), state, &report);
  BOOST_REQUIRE_MESSAGE(storage.has_value(), (storage ? "" : storage.error().message));
  BOOST_TEST(state.entries.size() == 4u);
  BOOST_TEST(report.log.torn_bytes_truncated == (at + 16 + 511) / 512 * 512 - at);
}

// The data directory holds the WAL, the snapshots and the lock; anything
// else is skipped and reported (the raft backend warns about each).
BOOST_AUTO_TEST_CASE(stray_files_in_the_data_directory_are_reported_not_fatal) {
  dref::test::scratch_dir dir;
  auto lock = storage::dir_lock::acquire(dir.str());
  BOOST_REQUIRE(lock.has_value());
  write_20_entries_compacted_at_10(dir.str());
  for (const char* name : {"notes.txt", "wal-xyz", "snap-old.snap"})
    std::ofstream{dir.sub(name)} << "stray";
  auto report = reopen_compacted_at_10(dir.str());
  std::vector<std::string> expected{"notes.txt", "snap-old.snap", "wal-xyz"};
  BOOST_TEST(report.stray_files == expected, boost::test_tools::per_element());
}

// A kill -9 during a snapshot save leaves its temp file, which can never
// become a snapshot: opening removes it (and says so) rather than warning
// about it at every start. A temp file of anything else is not ours.
BOOST_AUTO_TEST_CASE(temp_files_of_unfinished_snapshot_saves_are_removed_on_open) {
  dref::test::scratch_dir dir;
  auto lock = storage::dir_lock::acquire(dir.str());
  BOOST_REQUIRE(lock.has_value());
  write_20_entries_compacted_at_10(dir.str());
  const std::string unfinished = "snap-0000000000000014-0000000000000001.snap.tmp";
  std::ofstream{dir.sub(unfinished)} << "half a snapshot";
  for (const char* name : {"notes.tmp", "snap-old.snap.tmp"})
    std::ofstream{dir.sub(name)} << "stray";
  auto report = reopen_compacted_at_10(dir.str());
  BOOST_TEST(!std::filesystem::exists(dir.sub(unfinished)));
  std::vector<std::string> removed{unfinished};
  BOOST_TEST(report.unfinished_snapshots == removed, boost::test_tools::per_element());
  std::vector<std::string> strays{"notes.tmp", "snap-old.snap.tmp"};
  BOOST_TEST(report.stray_files == strays, boost::test_tools::per_element());
  for (const auto& name : strays)
    BOOST_TEST(std::filesystem::exists(dir.sub(name)), name);
}

BOOST_AUTO_TEST_SUITE_END()
