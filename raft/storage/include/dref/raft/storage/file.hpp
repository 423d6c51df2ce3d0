#pragma once
// Small POSIX file helpers for the log: an owning descriptor and errno turned
// into dref errors that name the file and the operation.

#include "dref/protocol/result.hpp"

#include <string>
#include <string_view>

namespace dref::raft::storage {

class file_descriptor {
public:
  file_descriptor() = default;
  explicit file_descriptor(int fd) noexcept
      : fd_(fd) {}
  file_descriptor(file_descriptor&& other) noexcept
      : fd_(other.release()) {}
  file_descriptor& operator=(file_descriptor&& other) noexcept;
  file_descriptor(const file_descriptor&) = delete;
  file_descriptor& operator=(const file_descriptor&) = delete;
  ~file_descriptor();

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  int release() noexcept {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

private:
  int fd_ = -1;
};

// errc::io_failed with "<what> <path>: <strerror(errno)>".
error io_error(std::string_view what, const std::string& path);

result<file_descriptor> open_file(const std::string& path, int flags, int mode = 0644);
result<void> write_all(int fd, std::string_view bytes, const std::string& path);
result<std::string> read_whole_file(const std::string& path);
// fsync of a directory makes a create, rename or unlink in it durable.
result<void> sync_directory(const std::string& dir);
// Writes `bytes` to `path` atomically: temp file, fsync, rename, fsync dir.
result<void> write_file_atomically(const std::string& dir, const std::string& name,
                                   std::string_view bytes);

} // namespace dref::raft::storage
