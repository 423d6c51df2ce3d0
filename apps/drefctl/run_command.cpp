#include "run_command.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sys/wait.h>
#include <unistd.h>

namespace drefctl {

dref::result<int> run_command(const std::vector<std::string>& argv,
                              const std::vector<std::pair<std::string, std::string>>& environment) {
  std::vector<char*> c_argv;
  for (const auto& arg : argv)
    c_argv.push_back(const_cast<char*>(arg.c_str()));
  c_argv.push_back(nullptr);
  // What drefctl printed so far comes before the child's output.
  std::cout.flush();
  pid_t child = ::fork();
  if (child < 0)
    return dref::error{dref::errc::internal, "fork failed"};
  if (child == 0) {
    for (const auto& [name, value] : environment)
      ::setenv(name.c_str(), value.c_str(), 1);
    ::execvp(c_argv[0], c_argv.data());
    std::perror(("drefctl: cannot run " + argv[0]).c_str());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

} // namespace drefctl
