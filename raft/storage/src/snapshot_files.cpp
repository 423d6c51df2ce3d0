#include "dref/raft/storage/snapshot_files.hpp"

#include "file_names.hpp"
#include "little_endian.hpp"

#include <algorithm>
#include <filesystem>
#include <unistd.h>
#include <xxhash.h>

namespace dref::raft::storage {

namespace {

constexpr char snapshot_magic[4] = {'d', 'R', 'f', 'S'};
constexpr std::uint8_t snapshot_format = 1;
constexpr std::size_t snapshot_header_size = 40;

std::uint64_t get_u64(std::string_view bytes, std::size_t at) {
  return detail::get_le(bytes, at, 8);
}

std::string file_name(std::uint64_t index, std::uint64_t term) {
  return "snap-" + detail::hex16(index) + "-" + detail::hex16(term) + ".snap";
}

struct parsed_name {
  std::uint64_t index;
  std::uint64_t term;
};

std::optional<parsed_name> parse_name(std::string_view name) {
  if (name.size() != 43 || !name.starts_with("snap-") || name[21] != '-' ||
      !name.ends_with(".snap"))
    return std::nullopt;
  auto index = detail::parse_hex16(name.substr(5, 16));
  auto term = detail::parse_hex16(name.substr(22, 16));
  if (!index || !term)
    return std::nullopt;
  return parsed_name{*index, *term};
}

// The names of the regular files in dir that `wanted` accepts (none when
// dir does not exist).
template <class Wanted>
result<std::vector<std::string>> regular_files_in(const std::string& dir, Wanted wanted) {
  namespace fs = std::filesystem;
  std::vector<std::string> found;
  std::error_code ec;
  if (!fs::exists(dir, ec))
    return found;
  // Error codes only: a range-for would throw from the iterator's increment.
  for (fs::directory_iterator it{dir, ec}; !ec && it != fs::directory_iterator{};
       it.increment(ec)) {
    auto name = it->path().filename().string();
    std::error_code type_ec;
    if (wanted(std::string_view{name}) && it->is_regular_file(type_ec))
      found.push_back(std::move(name));
  }
  if (ec)
    return error{errc::io_failed, "cannot list snapshot directory " + dir + ": " + ec.message()};
  return found;
}

} // namespace

result<void> snapshot_files::save(const snapshot_file& snapshot) const {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec)
    return error{errc::io_failed, "cannot create snapshot directory " + dir_ + ": " + ec.message()};
  std::string bytes{snapshot_magic, 4};
  bytes.push_back(static_cast<char>(snapshot_format));
  bytes.append(3, '\0');
  detail::put_le(bytes, snapshot.index, 8);
  detail::put_le(bytes, snapshot.term, 8);
  detail::put_le(bytes, snapshot.body.size(), 8);
  detail::put_le(bytes, XXH3_64bits(snapshot.body.data(), snapshot.body.size()), 8);
  bytes += snapshot.body;
  return write_file_atomically(dir_, file_name(snapshot.index, snapshot.term), bytes);
}

bool snapshot_files::is_snapshot_name(std::string_view name) {
  return parse_name(name).has_value();
}

result<std::vector<snapshot_files::listed>> snapshot_files::list() const {
  auto names = regular_files_in(dir_, [](std::string_view name) { return is_snapshot_name(name); });
  if (!names)
    return std::move(names).error();
  std::vector<listed> found;
  for (auto& name : *names) {
    auto parsed = parse_name(name);
    found.push_back({parsed->index, parsed->term, std::move(name)});
  }
  std::sort(found.begin(), found.end(),
            [](const listed& a, const listed& b) { return a.index > b.index; });
  return found;
}

result<std::optional<snapshot_file>>
snapshot_files::load_latest(std::vector<std::string>* skipped) const {
  auto files = list();
  if (!files)
    return std::move(files).error();
  for (const auto& file : *files) {
    auto path = dir_ + "/" + file.name;
    auto bytes = read_whole_file(path);
    if (!bytes)
      return std::move(bytes).error();
    std::string_view view{*bytes};
    std::string problem;
    if (view.size() < snapshot_header_size ||
        view.substr(0, 4) != std::string_view{snapshot_magic, 4})
      problem = "no valid header";
    else if (static_cast<std::uint8_t>(view[4]) != snapshot_format)
      problem = "format " + std::to_string(static_cast<std::uint8_t>(view[4])) + " unknown";
    else if (get_u64(view, 8) != file.index || get_u64(view, 16) != file.term)
      problem = "header does not match the file name";
    else if (get_u64(view, 24) != view.size() - snapshot_header_size)
      problem = "truncated";
    else if (XXH3_64bits(view.data() + snapshot_header_size, view.size() - snapshot_header_size) !=
             get_u64(view, 32))
      problem = "checksum mismatch";
    if (!problem.empty()) {
      if (skipped)
        skipped->push_back(path + ": " + problem);
      continue;
    }
    return std::optional<snapshot_file>{
        snapshot_file{file.index, file.term, std::string{view.substr(snapshot_header_size)}}};
  }
  return std::optional<snapshot_file>{};
}

result<void> snapshot_files::remove_all_but_newest(std::size_t keep) const {
  auto files = list();
  if (!files)
    return std::move(files).error();
  for (std::size_t i = keep; i < files->size(); ++i) {
    auto path = dir_ + "/" + (*files)[i].name;
    if (::unlink(path.c_str()) != 0)
      return io_error("cannot remove", path);
  }
  return files->size() > keep ? sync_directory(dir_) : result<void>{};
}

result<std::vector<std::string>> snapshot_files::remove_unfinished() const {
  constexpr std::string_view temp_suffix = ".tmp"; // write_file_atomically's
  auto removed = regular_files_in(dir_, [&](std::string_view name) {
    return name.ends_with(temp_suffix) &&
           is_snapshot_name(name.substr(0, name.size() - temp_suffix.size()));
  });
  if (!removed)
    return removed;
  std::sort(removed->begin(), removed->end());
  for (const auto& name : *removed) {
    auto path = dir_ + "/" + name;
    if (::unlink(path.c_str()) != 0)
      return io_error("cannot remove", path);
  }
  if (removed->empty())
    return removed;
  if (auto synced = sync_directory(dir_); !synced)
    return std::move(synced).error();
  return removed;
}

} // namespace dref::raft::storage
