#include "dref/raft/storage/dir_lock.hpp"

#include <cerrno>
#include <fcntl.h>
#include <filesystem>
#include <sys/file.h>
#include <unistd.h>

namespace dref::raft::storage {

result<dir_lock> dir_lock::acquire(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return error{errc::io_failed, "cannot create data directory " + dir + ": " + ec.message()};
  std::string path = dir + "/" + file_name;
  auto fd = open_file(path, O_RDWR | O_CREAT);
  if (!fd)
    return std::move(fd).error();
  if (::flock(fd->get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK)
      return io_error("cannot lock", path);
    auto holder = read_whole_file(path);
    std::string pid = holder && !holder->empty() ? *holder : "unknown";
    return error{errc::invalid_config, "data directory " + dir +
                                           " is in use by another process (pid " + pid +
                                           "); give each node its own data_dir"};
  }
  std::string pid = std::to_string(::getpid());
  if (::ftruncate(fd->get(), 0) != 0)
    return io_error("cannot truncate", path);
  if (auto ok = write_all(fd->get(), pid, path); !ok)
    return std::move(ok).error();
  return dir_lock{dir, std::move(*fd)};
}

} // namespace dref::raft::storage
