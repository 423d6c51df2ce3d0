#pragma once
// Running another program the way a shell would, for `lock -- CMD`.

#include "dref/protocol/result.hpp"

#include <string>
#include <utility>
#include <vector>

namespace drefctl {

// Runs argv[0] (looked up in PATH) with argv and these variables added to
// drefctl's environment, and waits for it. Returns its exit code, 128 + the
// signal that ended it, or 127 when it could not be started (as shells do);
// an error only when no child process could be made.
dref::result<int> run_command(const std::vector<std::string>& argv,
                              const std::vector<std::pair<std::string, std::string>>& environment);

} // namespace drefctl
