// Small helpers the part 4 suites share: running isolate, reading what the
// host sees of the container.
#pragma once

#include "harness.hpp"

#include <filesystem>
#include <fmt/core.h>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace isolate_test {

using Words = std::vector<std::string>;

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

inline std::string read_file(const std::string& path) {
  std::ifstream file(path);
  std::stringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

inline Words words(const std::string& text) {
  std::istringstream stream(text);
  Words all;
  for (std::string word; stream >> word;) {
    all.push_back(word);
  }
  return all;
}

inline Words lines(const std::string& text) {
  std::istringstream stream(text);
  Words all;
  for (std::string line; std::getline(stream, line);) {
    all.push_back(line);
  }
  return all;
}

/// The container's first process as the host sees it: the only child of
/// \p isolate_pid, or -1.
inline pid_t container_pid(pid_t isolate_pid) {
  std::vector<pid_t> children;
  std::error_code gone;
  for (const auto& task :
       std::filesystem::directory_iterator(fmt::format("/proc/{}/task", isolate_pid), gone)) {
    std::ifstream list(task.path() / "children");
    for (pid_t child = 0; list >> child;) {
      children.push_back(child);
    }
  }
  return children.size() == 1 ? children.front() : -1;
}

} // namespace isolate_test
