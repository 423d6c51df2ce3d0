#pragma once
#include <filesystem>
#include <stdlib.h>
#include <string>

namespace dref::test {

// A fresh directory under /tmp, removed with everything in it at scope end.
struct scratch_dir {
  std::filesystem::path path;
  scratch_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "dref-test-XXXXXX").string();
    path = ::mkdtemp(pattern.data());
  }
  ~scratch_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string str() const { return path.string(); }
  std::string sub(const std::string& name) const { return (path / name).string(); }
};

} // namespace dref::test
