// Small helpers the part 4 suites share: running isolate, finding the
// container's first process as the host sees it.
#pragma once

#include "harness.hpp"
#include "text.hpp"

#include <string>
#include <vector>

namespace isolate_test {

using nslab::testing::Words;

/// `isolate ARGUMENTS...`, run as the test's own user: isolate makes its
/// own user namespace.
inline nslab::testing::Command isolate_command(Words arguments) {
  arguments.insert(arguments.begin(), nslab::testing::program("isolate"));
  nslab::testing::Command command{arguments};
  command.root_in_user_namespace = false;
  return command;
}

/// isolate_command() with \p prefix (`setpriv ...`, say) in front of it.
inline nslab::testing::Command prefixed(Words prefix, Words arguments) {
  nslab::testing::Command command = isolate_command(std::move(arguments));
  command.argv.insert(command.argv.begin(), prefix.begin(), prefix.end());
  return command;
}

/// Starts isolate with \p options running `sh -c SCRIPT`, stdin kept open:
/// the script signals with a line on stdout, and may wait for the test to
/// close stdin (Running::close_stdin()) before it ends.
inline nslab::testing::Running start_isolate(Words options, const std::string& script) {
  options.insert(options.end(), {"sh", "-c", script});
  nslab::testing::Command command = isolate_command(std::move(options));
  command.close_stdin = false;
  return nslab::testing::start(command);
}

/// The container's first process as the host sees it: the only child of
/// \p isolate_pid, or -1.
inline pid_t container_pid(pid_t isolate_pid) {
  const std::vector<pid_t> children = nslab::testing::children_of(isolate_pid);
  return children.size() == 1 ? children.front() : -1;
}

} // namespace isolate_test
