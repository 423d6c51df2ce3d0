#include "dref/raft/storage/file.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace dref::raft::storage {

file_descriptor& file_descriptor::operator=(file_descriptor&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}

file_descriptor::~file_descriptor() {
  if (fd_ >= 0)
    ::close(fd_);
}

error io_error(std::string_view what, const std::string& path) {
  return error{errc::io_failed, std::string{what} + " " + path + ": " + std::strerror(errno)};
}

result<file_descriptor> open_file(const std::string& path, int flags, int mode) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0)
    return io_error("cannot open", path);
  return file_descriptor{fd};
}

result<void> write_all(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    auto written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR)
        continue;
      return io_error("cannot write", path);
    }
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
  return {};
}

result<std::string> read_whole_file(const std::string& path) {
  auto fd = open_file(path, O_RDONLY);
  if (!fd)
    return std::move(fd).error();
  struct stat info {};
  if (::fstat(fd->get(), &info) != 0)
    return io_error("cannot stat", path);
  std::string bytes(static_cast<std::size_t>(info.st_size), '\0');
  std::size_t done = 0;
  while (done < bytes.size()) {
    auto got = ::read(fd->get(), bytes.data() + done, bytes.size() - done);
    if (got < 0) {
      if (errno == EINTR)
        continue;
      return io_error("cannot read", path);
    }
    if (got == 0)
      break;
    done += static_cast<std::size_t>(got);
  }
  bytes.resize(done);
  return bytes;
}

result<void> sync_directory(const std::string& dir) {
  auto fd = open_file(dir, O_RDONLY | O_DIRECTORY);
  if (!fd)
    return std::move(fd).error();
  if (::fsync(fd->get()) != 0)
    return io_error("cannot fsync directory", dir);
  return {};
}

result<void> write_file_atomically(const std::string& dir, const std::string& name,
                                   std::string_view bytes) {
  std::string final_path = dir + "/" + name;
  std::string temp_path = final_path + ".tmp";
  {
    auto fd = open_file(temp_path, O_WRONLY | O_CREAT | O_TRUNC);
    if (!fd)
      return std::move(fd).error();
    if (auto ok = write_all(fd->get(), bytes, temp_path); !ok)
      return ok;
    if (::fsync(fd->get()) != 0)
      return io_error("cannot fsync", temp_path);
  }
  if (::rename(temp_path.c_str(), final_path.c_str()) != 0)
    return io_error("cannot rename to", final_path);
  return sync_directory(dir);
}

} // namespace dref::raft::storage
