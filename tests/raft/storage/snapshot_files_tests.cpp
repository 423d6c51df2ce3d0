#include "dref/raft/storage/snapshot_files.hpp"
#include "scratch_dir.hpp"

#include <boost/test/unit_test.hpp>
#include <fstream>

using namespace dref::raft::storage;
namespace fs = std::filesystem;

namespace {

std::optional<snapshot_file> latest(const snapshot_files& files,
                                    std::vector<std::string>* skipped = nullptr) {
  auto loaded = files.load_latest(skipped);
  if (!loaded)
    BOOST_FAIL("load failed: " << loaded.error().to_string());
  return *loaded;
}

} // namespace

BOOST_AUTO_TEST_SUITE(snapshot_files_suite)

BOOST_AUTO_TEST_CASE(none_in_an_empty_or_missing_directory) {
  dref::test::scratch_dir dir;
  BOOST_TEST(!latest(snapshot_files{dir.sub("absent")}).has_value());
}

BOOST_AUTO_TEST_CASE(the_newest_is_loaded_intact) {
  dref::test::scratch_dir dir;
  snapshot_files files{dir.str()};
  BOOST_TEST_REQUIRE(files.save({10, 2, "ten"}).has_value());
  BOOST_TEST_REQUIRE(files.save({250, 3, std::string(100000, 'z')}).has_value());
  BOOST_TEST_REQUIRE(files.save({20, 2, "twenty"}).has_value());
  auto got = latest(files);
  BOOST_TEST_REQUIRE(got.has_value());
  BOOST_TEST(got->index == 250u);
  BOOST_TEST(got->term == 3u);
  BOOST_TEST(got->body == std::string(100000, 'z'));
  BOOST_TEST_REQUIRE(files.remove_all_but_newest(1).has_value());
  int count = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator{dir.path})
    ++count;
  BOOST_TEST(count == 1);
}

BOOST_AUTO_TEST_CASE(a_damaged_newest_falls_back_and_says_why) {
  dref::test::scratch_dir dir;
  snapshot_files files{dir.str()};
  BOOST_TEST_REQUIRE(files.save({10, 1, "older"}).has_value());
  BOOST_TEST_REQUIRE(files.save({20, 1, "newer body"}).has_value());
  auto newest = dir.str() + "/snap-0000000000000014-0000000000000001.snap";
  BOOST_TEST_REQUIRE(fs::exists(newest));
  {
    std::fstream file{newest, std::ios::binary | std::ios::in | std::ios::out};
    file.seekp(-1, std::ios::end);
    file.put('!');
  }
  std::vector<std::string> skipped;
  auto got = latest(files, &skipped);
  BOOST_TEST_REQUIRE(got.has_value());
  BOOST_TEST(got->index == 10u);
  BOOST_TEST_REQUIRE(skipped.size() == 1u);
  BOOST_TEST(skipped[0].find("checksum mismatch") != std::string::npos);
  fs::resize_file(newest, 20);
  skipped.clear();
  latest(files, &skipped);
  BOOST_TEST_REQUIRE(skipped.size() == 1u);
  BOOST_TEST(skipped[0].find("no valid header") != std::string::npos);
}

// Files that only resemble snapshots (upper-case hex, another suffix; here
// byte-for-byte copies of a newer snapshot) are not snapshots: never
// loaded, never removed, never thrown on; nor is a directory.
BOOST_AUTO_TEST_CASE(stray_files_are_neither_loaded_nor_removed) {
  dref::test::scratch_dir dir;
  snapshot_files files{dir.str()};
  BOOST_TEST_REQUIRE(files.save({5, 1, "five"}).has_value());
  BOOST_TEST_REQUIRE(files.save({10, 1, "ten"}).has_value());
  auto ten = dir.str() + "/snap-000000000000000a-0000000000000001.snap";
  BOOST_TEST_REQUIRE(fs::exists(ten));
  std::vector<std::string> strays{"snap-000000000000000A-0000000000000001.snap",
                                  "snap-000000000000000a-0000000000000001.save", "notes.txt"};
  for (const auto& name : strays)
    fs::copy_file(ten, dir.sub(name));
  fs::remove(ten);
  fs::create_directory(dir.sub("snap-00000000000000ff-0000000000000001.snap"));
  std::vector<std::string> skipped;
  auto got = latest(files, &skipped);
  BOOST_TEST_REQUIRE(got.has_value());
  BOOST_TEST(got->index == 5u);
  BOOST_TEST(skipped.empty());
  BOOST_TEST_REQUIRE(files.save({20, 2, "twenty"}).has_value());
  BOOST_TEST_REQUIRE(files.remove_all_but_newest(1).has_value());
  for (const auto& name : strays)
    BOOST_TEST(fs::exists(dir.sub(name)), name);
  BOOST_TEST(latest(files)->index == 20u);
}

BOOST_AUTO_TEST_CASE(no_temp_file_is_left_behind) {
  dref::test::scratch_dir dir;
  snapshot_files files{dir.str()};
  BOOST_TEST_REQUIRE(files.save({1, 1, "x"}).has_value());
  for (const auto& entry : fs::directory_iterator{dir.path})
    BOOST_TEST(entry.path().extension() == ".snap");
}

BOOST_AUTO_TEST_SUITE_END()
