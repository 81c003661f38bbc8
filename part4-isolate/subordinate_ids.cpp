// Subordinate ids: finding the invoker's range, and running newuidmap or
// newgidmap. Separate from user_namespace.cpp because none of it is about
// the kernel: it is shadow's convention for lending ids to ordinary users.

#include "subordinate_ids.hpp"

#include "nslab/error.hpp"
#include "nslab/unique_fd.hpp"

#include <charconv>
#include <cstdlib>
#include <fmt/core.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

namespace isolate {
namespace {

std::optional<unsigned long> parse_id(std::string_view text) {
  unsigned long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value > kMaxId) {
    return std::nullopt;
  }
  return value;
}

/// "owner:start:count" split at its two colons; nullopt for anything else.
struct RangeLine {
  std::string_view owner;
  SubordinateRange range;
};

std::optional<RangeLine> parse_range_line(std::string_view line) {
  const auto first = line.find(':');
  const auto second = line.find(':', first == std::string_view::npos ? first : first + 1);
  if (second == std::string_view::npos) {
    return std::nullopt;
  }
  const auto start = parse_id(line.substr(first + 1, second - first - 1));
  const auto count = parse_id(line.substr(second + 1));
  if (!start || !count || *count == 0) {
    return std::nullopt;
  }
  return RangeLine{line.substr(0, first), {*start, *count}};
}

/// Everything \p fd delivers until end of file.
std::string read_all(int fd) {
  std::string text;
  char buffer[512];
  long got = 0;
  while ((got = nslab::check(nslab::read_retrying(fd, buffer, sizeof buffer), "read",
                             "the map helper's stderr")) > 0) {
    text.append(buffer, static_cast<std::size_t>(got));
  }
  return text;
}

/// Starts \p words (the helper and its arguments) with an empty environment,
/// no blocked signals and its stderr on \p stderr_fd; returns its pid.
pid_t spawn_helper(std::vector<std::string>& words, int stderr_fd) {
  std::vector<char*> argv;
  for (std::string& word : words) {
    argv.push_back(word.data());
  }
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, stderr_fd, STDERR_FILENO);
  // isolate blocks signals for its SignalFd; the helper gets none of that.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);
  char* no_environment[] = {nullptr};
  pid_t helper_pid = -1;
  const int spawned =
      ::posix_spawn(&helper_pid, argv[0], &actions, &attributes, argv.data(), no_environment);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (spawned != 0) {
    throw nslab::Error(spawned, "posix_spawn", words.front());
  }
  return helper_pid;
}

} // namespace

std::optional<SubordinateRange> find_subordinate_range(std::string_view file_text,
                                                       std::string_view user_name,
                                                       unsigned long id) {
  const std::string id_text = std::to_string(id);
  while (!file_text.empty()) {
    const auto end = file_text.find('\n');
    const std::string_view line = file_text.substr(0, end);
    file_text.remove_prefix(end == std::string_view::npos ? file_text.size() : end + 1);
    const auto parsed = parse_range_line(line);
    if (parsed && (parsed->owner == user_name || parsed->owner == id_text)) {
      return parsed->range;
    }
  }
  return std::nullopt;
}

std::optional<std::string> find_on_path(std::string_view program) {
  const char* path = std::getenv("PATH");
  std::string_view directories = path ? path : "/usr/bin:/bin";
  while (!directories.empty()) {
    const auto colon = directories.find(':');
    const std::string_view directory = directories.substr(0, colon);
    directories.remove_prefix(colon == std::string_view::npos ? directories.size() : colon + 1);
    const std::string candidate = fmt::format("{}/{}", directory, program);
    if (!directory.empty() && ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return std::nullopt;
}

// [map-helper]
void run_map_helper(const std::string& helper, pid_t pid, const std::vector<IdRange>& ranges) {
  // newuidmap PID INSIDE OUTSIDE COUNT...: the helper is set-user-ID root,
  // and writes only ranges that /etc/subuid lends us, besides our own id.
  std::vector<std::string> words = {helper, std::to_string(pid)};
  for (const IdRange& range : ranges) {
    for (const unsigned long number : {range.inside, range.outside, range.count}) {
      words.push_back(std::to_string(number));
    }
  }
  // Its complaint comes back through a pipe, so the user sees one line.
  nslab::Pipe complaint = nslab::make_pipe();
  const pid_t helper_pid = spawn_helper(words, complaint.write_end.get());
  complaint.write_end.reset(); // else read_all() would wait for our own copy
  std::string message = read_all(complaint.read_end.get());
  int status = 0;
  while (::waitpid(helper_pid, &status, 0) < 0) {
    if (errno != EINTR) {
      nslab::throw_errno("waitpid", helper);
    }
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::erase(message, '\n');
    throw nslab::Error(
        fmt::format("{} {}: failed: {}", helper, pid, message.empty() ? "no message" : message));
  }
}
// [map-helper]

} // namespace isolate
