#pragma once
// An exclusive lock on a data directory, so that two nodes (or a node and a
// forgotten old process) never write the same log. Held while the object
// lives; the kernel drops it if the process dies, so no stale-lock cleanup.

#include "dref/raft/storage/file.hpp"

#include <string>

namespace dref::raft::storage {

class dir_lock {
public:
  // Creates `dir` if missing. Fails with a message naming the holder's pid
  // when another process holds the lock.
  static result<dir_lock> acquire(const std::string& dir);

  // The lock file's name in the directory (it holds the holder's pid).
  static constexpr const char* file_name = "LOCK";

  const std::string& dir() const noexcept { return dir_; }

private:
  dir_lock(std::string dir, file_descriptor fd)
      : dir_(std::move(dir))
      , fd_(std::move(fd)) {}
  std::string dir_;
  file_descriptor fd_;
};

} // namespace dref::raft::storage
