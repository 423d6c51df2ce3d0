// Raft's data directory through raft_storage::open, the recovery a node
// runs at every start: WAL segments (record framing, checksums, the torn
// tail, each record type's payload) and snapshot files (header, checksum,
// the metadata inside). Each target writes one mutated file into a scratch
// directory next to fixed valid ones.
//
// Checks beyond "no crash": an error is corrupt_data or decode_failed; a
// successful recovery holds contiguous entries right after its snapshot;
// and opening the directory again (after the first open cut a torn tail)
// succeeds with the same state and nothing left to cut.

#include "dref/raft/storage/raft_storage.hpp"
#include "dref/store/store.hpp"
#include "harness.hpp"
#include "samples.hpp"
#include "wal_records.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <unistd.h>
#include <xxhash.h>

namespace dref::fuzz {

namespace fs = std::filesystem;
using namespace raft;

namespace {

struct scratch {
  fs::path path;
  scratch() {
    // Recovery fsyncs several times per input: on tmpfs that costs nothing.
    std::error_code ec;
    fs::path base = fs::is_directory("/dev/shm", ec) && ::access("/dev/shm", W_OK) == 0
                        ? fs::path{"/dev/shm"}
                        : fs::temp_directory_path();
    std::string pattern = (base / "dref-fuzz-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
      throw std::runtime_error("cannot create a scratch directory");
    path = pattern;
  }
  ~scratch() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  // Empty again, for the next input.
  std::string fresh(const std::string& name) const {
    auto dir = path / name;
    std::error_code ec;
    fs::remove_all(dir, ec);
    fs::create_directories(dir);
    return dir.string();
  }
};

const scratch& scratch_root() {
  static const scratch root;
  return root;
}

std::string read_file(const fs::path& path) {
  std::ifstream in{path, std::ios::binary};
  return {std::istreambuf_iterator<char>{in}, {}};
}

void write_file(const fs::path& path, std::string_view bytes) {
  std::ofstream out{path, std::ios::binary | std::ios::trunc};
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void put_le(std::string& bytes, std::size_t at, std::uint64_t value, std::size_t width) {
  for (std::size_t i = 0; i < width; ++i)
    bytes[at + i] = static_cast<char>((value >> (8 * i)) & 0xff);
}

std::uint64_t get_le(std::string_view bytes, std::size_t at, std::size_t width) {
  std::uint64_t value = 0;
  for (std::size_t i = width; i-- > 0;)
    value = (value << 8) | static_cast<unsigned char>(bytes[at + i]);
  return value;
}

// A segment as its records make it, without the zeros the WAL writes ahead
// of them (wal.hpp): a seed of 1 MiB of zeros would teach the fuzzer nothing.
std::string records_of(std::string segment) {
  segment.resize(dref::test::wal_records_end(segment));
  return segment;
}

std::string segment_name(std::uint64_t number) {
  char name[32];
  std::snprintf(name, sizeof(name), "wal-%016llx.log", static_cast<unsigned long long>(number));
  return name;
}

std::string snapshot_name(std::uint64_t index, std::uint64_t term) {
  char name[64];
  std::snprintf(name, sizeof(name), "snap-%016llx-%016llx.snap",
                static_cast<unsigned long long>(index), static_cast<unsigned long long>(term));
  return name;
}

core::entry entry_at(std::uint64_t index, std::uint64_t term) {
  auto e = samples::log_entries()[index % 3];
  e.index = index;
  e.term = term;
  return e;
}

core::ready ready_of(std::uint64_t from, std::uint64_t to, std::uint64_t term,
                     std::optional<core::hard_state> hard = {}) {
  core::ready r;
  for (auto i = from; i <= to; ++i)
    r.entries.push_back(entry_at(i, term));
  r.hard = hard;
  return r;
}

// --- the files the targets start from ---------------------------------------

struct storage_seeds {
  std::string snapshot_file; // snap at index 8, term 2
  std::string snapshot_file_name;
  std::vector<std::string> segments; // each renumbered as segment 0
  std::string plain_segment;         // entries 1..12 and a hard state, no markers
  std::string hard_state_segment;    // one hard-state record, as segment 1
};

std::string renumbered(std::string segment, std::uint64_t number) {
  put_le(segment, 8, number, 8);
  return segment;
}

const storage_seeds& seeds() {
  static const storage_seeds made = [] {
    storage_seeds out;
    core::persisted_state unused;
    {
      // Every record type but "compacted": overwritten entries, a snapshot
      // installed from a leader, entries after it.
      auto dir = scratch_root().fresh("seed-installed");
      auto st = storage::raft_storage::open(dir, unused).value();
      (void)st.save(ready_of(1, 4, 1, core::hard_state{1, 1, 0}));
      (void)st.save(ready_of(3, 6, 2, core::hard_state{2, 1, 2}));
      core::ready install;
      install.snapshot_to_install =
          core::snapshot{samples::snapshot_metadata()[0], store::store{}.snapshot()};
      install.snapshot_to_install->metadata.index = 8;
      install.snapshot_to_install->metadata.term = 2;
      (void)st.save(install);
      (void)st.save(ready_of(9, 10, 2, core::hard_state{2, 1, 9}));
      out.segments.push_back(records_of(read_file(fs::path{dir} / segment_name(0))));
      out.snapshot_file_name = snapshot_name(8, 2);
      out.snapshot_file = read_file(fs::path{dir} / out.snapshot_file_name);
    }
    {
      // Compaction: a "compacted" marker, the hard state and the tail.
      auto dir = scratch_root().fresh("seed-compacted");
      auto st = storage::raft_storage::open(dir, unused).value();
      (void)st.save(ready_of(1, 5, 1, core::hard_state{1, 2, 4}));
      core::snapshot snap{samples::snapshot_metadata()[0], "state"};
      snap.metadata.index = 3;
      snap.metadata.term = 1;
      (void)st.compact(snap, core::hard_state{1, 2, 4}, ready_of(4, 5, 1).entries);
      out.segments.push_back(renumbered(records_of(read_file(fs::path{dir} / segment_name(1))), 0));
    }
    {
      auto dir = scratch_root().fresh("seed-plain");
      auto st = storage::raft_storage::open(dir, unused).value();
      (void)st.save(ready_of(1, 12, 3, core::hard_state{3, 1, 11}));
      out.plain_segment = records_of(read_file(fs::path{dir} / segment_name(0)));
      out.segments.push_back(out.plain_segment);
    }
    {
      auto dir = scratch_root().fresh("seed-hard");
      auto st = storage::raft_storage::open(dir, unused).value();
      core::ready hard_only;
      hard_only.hard = core::hard_state{4, 1, 0};
      (void)st.save(hard_only);
      out.hard_state_segment =
          renumbered(records_of(read_file(fs::path{dir} / segment_name(0))), 1);
    }
    // Zeros the WAL wrote ahead of the records, never written over.
    out.segments.push_back(out.plain_segment + std::string(4096, '\0'));
    // A torn write: the last record cut short. Last in the list.
    auto torn = out.segments[0];
    torn.resize(torn.size() - 7);
    out.segments.push_back(torn);
    return out;
  }();
  return made;
}

// --- repairs, so that mutants get past the checksums ------------------------

// Walks the records from the segment header on and recomputes the checksum
// of every record whose length fits, the way an intact write would have.
void fix_segment(std::string& bytes, rng& r, std::uint64_t number) {
  if (bytes.size() < storage::wal::segment_header_size)
    return;
  bytes.replace(0, 5, std::string{"dRfW\x01", 5});
  put_le(bytes, 8, number, 8);
  std::size_t at = storage::wal::segment_header_size;
  while (bytes.size() - at >= storage::wal::record_header_size) {
    auto length = get_le(bytes, at, 4);
    if (length > bytes.size() - at - storage::wal::record_header_size)
      break;
    if (r.chance(90)) {
      bytes[at + 5] = bytes[at + 6] = bytes[at + 7] = 0;
      if (bytes[at + 4] == 0)
        bytes[at + 4] = 1;
      auto type = static_cast<std::uint8_t>(bytes[at + 4]);
      put_le(bytes, at + 8, XXH3_64bits_withSeed(bytes.data() + at + 16, length, type), 8);
    }
    at += storage::wal::record_header_size + length;
  }
}

void fix_snapshot_file(std::string& bytes, rng&) {
  constexpr std::size_t header = 40;
  if (bytes.size() < header)
    return;
  bytes.replace(0, 8, std::string{"dRfS\x01\0\0\0", 8});
  put_le(bytes, 24, bytes.size() - header, 8);
  put_le(bytes, 32, XXH3_64bits(bytes.data() + header, bytes.size() - header), 8);
}

// --- the check ----------------------------------------------------------------

bool same_state(const core::persisted_state& a, const core::persisted_state& b) {
  return a.hard == b.hard && a.snapshot == b.snapshot && a.entries == b.entries &&
         a.snapshot_data == b.snapshot_data;
}

// Opens dir (holding `input_bytes` of fuzzed input) and checks what comes back.
void check_directory(const std::string& dir, std::size_t input_bytes,
                     std::optional<std::uint64_t> snapshot_file_index, probe& p) {
  core::persisted_state first;
  {
    auto opened = p.measured(input_bytes, [&] { return storage::raft_storage::open(dir, first); });
    if (!opened) {
      auto code = opened.error().code;
      // A record in another wire format says so (wire_version_mismatch).
      if (code != errc::corrupt_data && code != errc::decode_failed &&
          code != errc::wire_version_mismatch)
        p.fail("recovery failed with " + opened.error().to_string());
      return;
    }
  } // closes the WAL before the second recovery
  p.accepted();
  for (std::size_t i = 1; i < first.entries.size(); ++i)
    if (first.entries[i].index != first.entries[i - 1].index + 1)
      return p.fail("recovered entries are not contiguous at position " + std::to_string(i));
  if (!first.entries.empty() && first.entries.front().index != first.snapshot.index + 1)
    return p.fail("recovered entries start at " + std::to_string(first.entries.front().index) +
                  ", the snapshot ends at " + std::to_string(first.snapshot.index));
  if (snapshot_file_index && first.snapshot.index != 0 &&
      first.snapshot.index != *snapshot_file_index)
    return p.fail("the snapshot file for index " + std::to_string(*snapshot_file_index) +
                  " was recovered as index " + std::to_string(first.snapshot.index));
  // What the raft backend does next with the snapshot.
  if (!first.snapshot_data.empty())
    (void)store::store::restore(first.snapshot_data);

  core::persisted_state second;
  storage::recovery_report report;
  auto again = storage::raft_storage::open(dir, second, &report);
  if (!again)
    return p.fail("the directory recovered once, but not twice: " + again.error().to_string());
  if (report.log.torn_bytes_truncated != 0)
    p.fail("the second recovery still cut " + std::to_string(report.log.torn_bytes_truncated) +
           " torn bytes");
  if (!same_state(first, second))
    p.fail("the second recovery found another state than the first");
}

target wal_target(std::string name, bool followed_by_segment) {
  target t;
  t.group = "raft_storage";
  t.name = std::move(name);
  t.seeds = seeds().segments;
  if (followed_by_segment) // a torn write cannot be followed by a segment
    t.seeds.pop_back();
  t.check = [followed_by_segment](std::string_view input, probe& p) {
    const auto& s = seeds();
    auto dir = scratch_root().fresh("run");
    write_file(fs::path{dir} / s.snapshot_file_name, s.snapshot_file);
    write_file(fs::path{dir} / segment_name(0), input);
    if (followed_by_segment)
      write_file(fs::path{dir} / segment_name(1), s.hard_state_segment);
    check_directory(dir, input.size(), 8, p);
  };
  t.fixup = [](std::string& bytes, rng& r) { fix_segment(bytes, r, 0); };
  // Directory listings (a 32 KiB buffer per opendir), paths and the file
  // reads themselves come on top of what the records decode to.
  t.bound = alloc_bound{32, 256 << 10};
  t.weight = 3;
  return t;
}

target snapshot_file_target() {
  target t;
  t.group = "raft_storage";
  t.name = "raft_storage.snapshot_file";
  t.seeds = {seeds().snapshot_file};
  t.check = [](std::string_view input, probe& p) {
    // The file is named after the index and term in its header, as save()
    // names it, so that mutants are not all skipped for a name mismatch.
    std::uint64_t index = input.size() >= 24 ? get_le(input, 8, 8) : 8;
    std::uint64_t term = input.size() >= 24 ? get_le(input, 16, 8) : 2;
    auto dir = scratch_root().fresh("run");
    write_file(fs::path{dir} / snapshot_name(index, term), input);
    write_file(fs::path{dir} / segment_name(0), seeds().plain_segment);
    check_directory(dir, input.size(), index, p);
  };
  t.fixup = fix_snapshot_file;
  t.bound = alloc_bound{32, 256 << 10};
  t.weight = 2;
  return t;
}

} // namespace

void add_storage_targets(std::vector<target>& out) {
  out.push_back(wal_target("raft_storage.wal", false));
  out.push_back(wal_target("raft_storage.wal_before_another_segment", true));
  out.push_back(snapshot_file_target());
}

} // namespace dref::fuzz
