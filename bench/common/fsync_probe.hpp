#pragma once
// What this machine's disk makes an fsync of a raft member cost: `writers`
// threads, each appending small records to its own file in `dir` and
// fdatasync-ing after each, as members sharing one disk do (every member
// syncs every round of entries). The commit latency a bench measures
// cannot be below one such sync: the leader's own or a follower's.

#include <chrono>
#include <cstddef>
#include <fcntl.h>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace dref::bench {

// Every sync's time in ms, unsorted.
inline std::vector<double> fdatasync_ms(const std::filesystem::path& dir, int writers, int syncs) {
  std::vector<std::vector<double>> took(static_cast<std::size_t>(writers));
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w)
    threads.emplace_back([&, w] {
      auto path = dir / ("fsync-probe-" + std::to_string(w));
      int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
      if (fd < 0)
        return;
      const std::string record(300, 'r'); // about one small entry's record
      auto& mine = took[static_cast<std::size_t>(w)];
      for (int i = 0; i < syncs; ++i) {
        if (::write(fd, record.data(), record.size()) != static_cast<ssize_t>(record.size()))
          break;
        auto t = std::chrono::steady_clock::now();
        if (::fdatasync(fd) != 0)
          break;
        mine.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t)
                .count());
      }
      ::close(fd);
      std::filesystem::remove(path);
    });
  for (auto& t : threads)
    t.join();
  std::vector<double> all;
  for (const auto& mine : took)
    all.insert(all.end(), mine.begin(), mine.end());
  if (all.size() != static_cast<std::size_t>(writers) * static_cast<std::size_t>(syncs))
    throw std::runtime_error("the fsync probe could not write and sync in " + dir.string());
  return all;
}

} // namespace dref::bench
