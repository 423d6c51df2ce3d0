// storage_driver and its writer thread: ready rounds made durable in order,
// the log compacted once enough entries were applied, never past what is
// durable and never losing a round handed in before; a restart finds the
// snapshot and everything after it.
#include "scratch_dir.hpp"
#include "storage_driver.hpp"

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using dref::raft::node::storage_driver;
namespace core = dref::raft::core;
namespace storage = dref::raft::storage;

namespace {

storage_driver open_driver(const std::string& dir, std::uint64_t snapshot_every,
                           core::persisted_state& restored, std::uint64_t phase = 0) {
  auto lock = storage::dir_lock::acquire(dir);
  BOOST_REQUIRE(lock.has_value());
  auto opened = storage::raft_storage::open(dir, restored);
  BOOST_REQUIRE(opened.has_value());
  return storage_driver{std::move(*lock), std::move(*opened), snapshot_every, phase};
}

// Waits for everything handed in; every outcome must be a success.
void require_all_durable(storage_driver& disk) {
  for (auto& done : disk.wait_all())
    BOOST_REQUIRE_MESSAGE(done.outcome.has_value(), done.outcome.error().message);
}

// A single voter on its own: it elects itself and commits what it proposes.
struct one_member {
  core::persisted_state restored;
  storage_driver disk;
  core::node raft;
  std::uint64_t applied = 0;

  one_member(const std::string& dir, std::uint64_t snapshot_every, std::uint64_t phase = 0)
      : disk(open_driver(dir, snapshot_every, restored, phase))
      , raft(config()) {
    disk.start({});
    for (int tick = 0; tick < 100 && raft.role() != core::role::leader; ++tick) {
      raft.tick();
      drive();
    }
    BOOST_REQUIRE(raft.role() == core::role::leader);
  }

  static core::config config() {
    core::config cfg;
    cfg.id = 1;
    cfg.voters = {1};
    return cfg;
  }

  // Ready rounds until none is left: applied, persisted, advanced.
  void drive() {
    while (raft.has_ready()) {
      auto r = raft.ready();
      for (const auto& e : r.committed)
        applied = e.index;
      disk.persist(r);
      require_all_durable(disk);
      raft.advance(r);
    }
  }

  // Compacts the log where the state machine stands, with `state` as its
  // snapshot; true when it did (maybe_compact).
  bool compact(std::string state = "state") {
    return disk.maybe_compact(raft, applied, [&] { return state; });
  }

  void propose(int count) {
    for (int i = 0; i < count; ++i)
      BOOST_REQUIRE(raft.propose(0, 0, "entry").has_value());
    drive();
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(storage_driver_suite)

BOOST_AUTO_TEST_CASE(the_log_is_compacted_once_enough_entries_are_applied) {
  dref::test::scratch_dir dir;
  one_member member{dir.str(), 10};
  int snapshots_taken = 0;
  auto state = [&] {
    ++snapshots_taken;
    return std::string{"state at "} + std::to_string(member.applied);
  };
  while (member.applied + 1 < 10)
    member.propose(1);
  BOOST_TEST(member.applied == 9u);
  BOOST_TEST(!member.disk.maybe_compact(member.raft, member.applied, state));
  BOOST_TEST(snapshots_taken == 0); // not even asked for the state
  member.propose(1);
  BOOST_TEST(member.disk.maybe_compact(member.raft, member.applied, state));
  BOOST_TEST(snapshots_taken == 1);
  BOOST_TEST(member.disk.snapshot_index() == 10u);
  BOOST_TEST(member.raft.log().snapshot_index() == 10u);
  BOOST_REQUIRE(member.raft.latest_snapshot() != nullptr);
  BOOST_TEST(member.raft.latest_snapshot()->data == "state at 10");
  // The next one is due snapshot_every entries later.
  member.propose(9);
  BOOST_TEST(!member.disk.maybe_compact(member.raft, member.applied, state));
  member.propose(1);
  BOOST_TEST(member.disk.maybe_compact(member.raft, member.applied, state));
  BOOST_TEST(member.disk.snapshot_index() == 20u);
}

// Members compact at indexes of their own (their phase), so that they do
// not all pause at once: with phase 13 and every 10 that is 7, 17, 27...
BOOST_AUTO_TEST_CASE(a_members_phase_moves_its_compaction_indexes) {
  dref::test::scratch_dir dir;
  one_member member{dir.str(), 10, 13};
  std::vector<std::uint64_t> compacted_at;
  while (member.applied < 30) {
    member.propose(1);
    if (member.compact())
      compacted_at.push_back(member.applied);
  }
  std::vector<std::uint64_t> expected{7, 17, 27};
  BOOST_TEST(compacted_at == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(compaction_waits_until_the_state_machine_is_durable) {
  dref::test::scratch_dir dir;
  one_member member{dir.str(), 1};
  member.propose(5);
  auto durable = member.raft.log().stable_index();
  // Applied beyond the durable log (a follower may apply what a quorum has
  // before its own write is done): a snapshot there would get ahead of the
  // log on disk, so none is taken.
  int taken = 0;
  auto state = [&] {
    ++taken;
    return std::string{"s"};
  };
  BOOST_TEST(!member.disk.maybe_compact(member.raft, durable + 5, state));
  BOOST_TEST(taken == 0);
  BOOST_TEST(member.disk.snapshot_index() == 0u);
  BOOST_TEST(member.disk.maybe_compact(member.raft, durable, state));
  BOOST_TEST(member.disk.snapshot_index() == durable);
  require_all_durable(member.disk);
}

// Rounds handed in while a compaction is queued, and rounds handed in
// before it but not yet durable, all survive: the compaction's new segment
// holds what was handed in before it and what was written while its
// snapshot file was (the rounds after it, which complete before it).
BOOST_AUTO_TEST_CASE(rounds_around_a_compaction_all_reach_the_disk) {
  dref::test::scratch_dir dir;
  std::uint64_t last = 0;
  {
    one_member member{dir.str(), 1};
    member.propose(3);
    // Two rounds handed in and not waited for, then the compaction, then one more.
    std::vector<dref::raft::core::ready> rounds;
    for (int i = 0; i < 2; ++i) {
      BOOST_REQUIRE(member.raft.propose(0, 0, "early").has_value());
      rounds.push_back(member.raft.ready());
      member.disk.persist(rounds.back());
    }
    BOOST_REQUIRE(member.compact());
    BOOST_REQUIRE(member.raft.propose(0, 0, "late").has_value());
    rounds.push_back(member.raft.ready());
    member.disk.persist(rounds.back());
    last = member.raft.log().last_index();
    auto done = member.disk.wait_all();
    BOOST_TEST(done.size() == 4u);
    for (auto& d : done)
      BOOST_REQUIRE(d.outcome.has_value());
    BOOST_TEST(std::count_if(done.begin(), done.end(), [](auto& d) { return d.compaction; }) == 1);
    std::vector<std::uint64_t> rounds_done; // the rounds: in the order handed in
    for (auto& d : done)
      if (!d.compaction)
        rounds_done.push_back(d.round.entries.back().index);
    BOOST_TEST(std::is_sorted(rounds_done.begin(), rounds_done.end()));
  }
  core::persisted_state restored;
  auto disk = open_driver(dir.str(), 1, restored);
  BOOST_REQUIRE(!restored.entries.empty());
  BOOST_TEST(restored.entries.front().index == restored.snapshot.index + 1);
  BOOST_TEST(restored.entries.back().index == last);
  BOOST_TEST(restored.entries.back().data == "late");
}

namespace {

// Takes completions until `count` rounds completed (the files thread held,
// a compaction cannot complete meanwhile); the compactions taken go to
// `compactions`.
void take_rounds(storage_driver& disk, std::size_t count, std::size_t& compactions) {
  std::size_t rounds = 0;
  for (int wait = 0; wait < 5000 && rounds < count; ++wait) {
    for (auto& done : disk.take_completed()) {
      BOOST_REQUIRE_MESSAGE(done.outcome.has_value(), done.outcome.error().message);
      (done.compaction ? compactions : rounds) += 1;
    }
    if (rounds < count)
      std::this_thread::sleep_for(std::chrono::milliseconds{1});
  }
  BOOST_REQUIRE_EQUAL(rounds, count);
}

} // namespace

// The rounds after a compaction do not wait for its snapshot file: they are
// durable before it is written, and the compaction's fresh segment, started
// only then, holds them too, so the segments it deletes lose none of them.
BOOST_AUTO_TEST_CASE(rounds_after_a_compaction_complete_before_it_and_survive_it) {
  dref::test::scratch_dir dir;
  std::uint64_t snapshot_index = 0;
  std::uint64_t last = 0;
  {
    one_member member{dir.str(), 1};
    member.propose(3);
    member.disk.hold_files_thread(true);
    BOOST_REQUIRE(member.compact());
    snapshot_index = member.disk.snapshot_index();
    for (int i = 0; i < 3; ++i) {
      BOOST_REQUIRE(member.raft.propose(0, 0, "late " + std::to_string(i)).has_value());
      auto r = member.raft.ready();
      member.disk.persist(r);
      member.raft.advance(r);
    }
    last = member.raft.log().last_index();
    std::size_t compactions = 0;
    take_rounds(member.disk, 3, compactions);
    BOOST_TEST(compactions == 0u); // its snapshot file is not written yet
    member.disk.hold_files_thread(false);
    auto done = member.disk.wait_all();
    BOOST_REQUIRE_EQUAL(done.size(), 1u);
    BOOST_TEST(done.front().compaction);
    BOOST_REQUIRE(done.front().outcome.has_value());
  }
  core::persisted_state restored;
  auto disk = open_driver(dir.str(), 1, restored);
  BOOST_TEST(restored.snapshot.index == snapshot_index);
  BOOST_REQUIRE(!restored.entries.empty());
  BOOST_TEST(restored.entries.front().index == snapshot_index + 1);
  BOOST_TEST(restored.entries.back().index == last);
  BOOST_TEST(restored.entries.back().data == "late 2");
  // Only the compaction's fresh segment is left (the deleting is done once
  // the files thread got to it: the writer is gone, so it is).
  std::size_t segments = 0;
  for (const auto& f : std::filesystem::directory_iterator{dir.str()})
    segments += f.path().filename().string().starts_with("wal-");
  BOOST_TEST(segments == 1u);
}

// A snapshot file that cannot be written fails its compaction and every
// job after it, as a failed write of the log does.
BOOST_AUTO_TEST_CASE(a_snapshot_file_that_cannot_be_written_fails_the_compaction_and_what_follows) {
  dref::test::scratch_dir dir;
  one_member member{dir.str(), 1};
  member.propose(3);
  // A directory where the snapshot's temporary file goes: it cannot be made.
  auto index = member.applied;
  auto term = member.raft.term();
  char name[64];
  std::snprintf(name, sizeof name, "snap-%016llx-%016llx.snap.tmp",
                static_cast<unsigned long long>(index), static_cast<unsigned long long>(term));
  std::filesystem::create_directory(dir.str() + "/" + name);
  BOOST_REQUIRE(member.compact());
  auto done = member.disk.wait_all();
  BOOST_REQUIRE_EQUAL(done.size(), 1u);
  BOOST_TEST(done.front().compaction);
  BOOST_REQUIRE(!done.front().outcome.has_value());
  BOOST_TEST(done.front().outcome.error().message.find(name) != std::string::npos,
             done.front().outcome.error().message);
  BOOST_REQUIRE(member.raft.propose(0, 0, "after").has_value());
  member.disk.persist(member.raft.ready());
  auto after = member.disk.wait_all();
  BOOST_REQUIRE_EQUAL(after.size(), 1u);
  BOOST_TEST(!after.front().outcome.has_value());
}

// The old files are deleted on the files thread once the fresh segment is
// synced; when that fails, every job after it fails, as after a failed
// write (the member stops; a restart finds the files by the recovery rules).
BOOST_AUTO_TEST_CASE(a_failed_deletion_after_a_compaction_fails_what_follows) {
  dref::test::scratch_dir dir;
  one_member member{dir.str(), 1};
  member.propose(3);
  // The segment the compaction will delete becomes a directory with a file
  // in it: unlink() refuses it (the writer keeps appending to its open file).
  auto segment = dir.str() + "/wal-0000000000000000.log";
  std::filesystem::remove(segment);
  std::filesystem::create_directory(segment);
  std::ofstream{segment + "/keep"} << "x";
  BOOST_REQUIRE(member.compact());
  auto done = member.disk.wait_all();
  BOOST_REQUIRE_EQUAL(done.size(), 1u);
  BOOST_REQUIRE(done.front().outcome.has_value()); // its log part is done
  std::optional<dref::error> failed;
  for (int attempt = 0; attempt < 1000 && !failed; ++attempt) {
    BOOST_REQUIRE(member.raft.propose(0, 0, "after").has_value());
    auto r = member.raft.ready();
    member.disk.persist(r);
    member.raft.advance(r);
    for (auto& d : member.disk.wait_all())
      if (!d.outcome)
        failed = d.outcome.error();
    if (!failed)
      std::this_thread::sleep_for(std::chrono::milliseconds{1});
  }
  BOOST_REQUIRE(failed.has_value());
  BOOST_TEST(failed->message.find("cannot remove") != std::string::npos, failed->message);
}

// A snapshot from the leader installed while a compaction waits for its
// file replaces the whole log: the compaction then completes without
// writing its segment (whose tail would bring back entries the install
// replaced), and a restart finds the installed snapshot alone.
BOOST_AUTO_TEST_CASE(an_installed_snapshot_supersedes_a_waiting_compaction) {
  dref::test::scratch_dir dir;
  std::uint64_t install_index = 0;
  {
    one_member member{dir.str(), 1};
    member.propose(3);
    // Two entries durable but not committed: the compaction's tail.
    for (int i = 0; i < 2; ++i)
      BOOST_REQUIRE(member.raft.propose(0, 0, "uncommitted").has_value());
    member.disk.persist(member.raft.ready());
    member.disk.hold_files_thread(true);
    BOOST_REQUIRE(member.compact("local state"));
    // The leader's snapshot covers the first of them only.
    install_index = member.applied + 1;
    core::ready install;
    core::snapshot leader_snapshot;
    leader_snapshot.metadata.index = install_index;
    leader_snapshot.metadata.term = 7;
    leader_snapshot.metadata.config.voters = {1, 2, 3};
    leader_snapshot.data = "leader state";
    install.snapshot_to_install = leader_snapshot;
    install.hard = core::hard_state{7, 0, install_index};
    member.disk.persist(install);
    // The install waits for the compaction's file (the same name is possible).
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
    member.disk.hold_files_thread(false);
    auto done = member.disk.wait_all();
    BOOST_REQUIRE_EQUAL(done.size(), 3u);
    for (auto& d : done)
      BOOST_REQUIRE_MESSAGE(d.outcome.has_value(), d.outcome.error().message);
  }
  core::persisted_state restored;
  auto disk = open_driver(dir.str(), 1, restored);
  BOOST_TEST(restored.snapshot.index == install_index);
  BOOST_TEST(restored.snapshot_data == "leader state");
  BOOST_TEST(restored.entries.empty());
  BOOST_TEST(restored.hard.term == 7u);
}

BOOST_AUTO_TEST_CASE(a_restart_finds_the_snapshot_and_the_entries_after_it) {
  dref::test::scratch_dir dir;
  std::uint64_t snapshot_index = 0;
  std::uint64_t last = 0;
  {
    one_member member{dir.str(), 5};
    member.propose(6);
    BOOST_REQUIRE(member.compact());
    snapshot_index = member.disk.snapshot_index();
    BOOST_TEST(snapshot_index > 0u);
    member.propose(2);
    last = member.raft.log().last_index();
  }
  core::persisted_state restored;
  auto disk = open_driver(dir.str(), 5, restored);
  BOOST_TEST(disk.snapshot_index() == snapshot_index);
  BOOST_TEST(restored.snapshot.index == snapshot_index);
  BOOST_TEST(restored.snapshot_data == "state");
  BOOST_REQUIRE(!restored.entries.empty());
  BOOST_TEST(restored.entries.front().index == snapshot_index + 1);
  BOOST_TEST(restored.entries.back().index == last);
}

// A failed fsync (the test-only failpoint) is reported, and so is every
// save after it: what reached the disk is unknown, so nothing may be
// acknowledged from then on (the node actor stops at the first one).
BOOST_AUTO_TEST_CASE(a_failed_fsync_is_reported_and_no_save_succeeds_after_it) {
  dref::test::scratch_dir dir;
  auto lock = storage::dir_lock::acquire(dir.str());
  BOOST_REQUIRE(lock.has_value());
  core::persisted_state restored;
  storage::wal::failpoints faults;
  faults.fail_sync_at = 3; // 1: the new segment's header, 2: the first save
  auto opened = storage::raft_storage::open(dir.str(), restored, nullptr, faults);
  BOOST_REQUIRE(opened.has_value());
  storage_driver disk{std::move(*lock), std::move(*opened), 100};
  disk.start({});
  auto ready_with_entry = [](std::uint64_t index) {
    core::ready r;
    core::entry e;
    e.index = index;
    e.term = 1;
    e.data = "entry " + std::to_string(index);
    r.entries.push_back(e);
    return r;
  };
  auto outcome_of = [&](std::uint64_t index) {
    disk.persist(ready_with_entry(index));
    auto done = disk.wait_all();
    BOOST_REQUIRE(done.size() == 1u);
    return done.front().outcome;
  };
  BOOST_TEST(outcome_of(1).has_value());
  auto failed = outcome_of(2);
  BOOST_REQUIRE(!failed.has_value());
  BOOST_TEST(failed.error().message.find("Input/output error") != std::string::npos,
             failed.error().message);
  BOOST_TEST(!outcome_of(3).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
