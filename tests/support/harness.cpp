#include "harness.hpp"

#include "nslab/child.hpp"
#include "nslab/error.hpp"
#include "nslab/userns_policy.hpp"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fmt/core.h>
#include <fmt/format.h>
#include <fstream>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace nslab::testing {
namespace {

using Clock = std::chrono::steady_clock;

/// Writes \p text to \p path from inside a forked child, where only
/// async-signal-safe calls are allowed; returns false on failure.
bool write_file_raw(const char* path, const char* text) {
  const int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    return false;
  }
  const auto length = static_cast<ssize_t>(std::strlen(text));
  const bool written = ::write(fd, text, static_cast<size_t>(length)) == length;
  ::close(fd);
  return written;
}

bool can_create_namespaces() {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::_exit(::unshare(CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNS | CLONE_NEWNET) == 0 ? 0 : 1);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

void append_available(int fd, std::string& sink) {
  char buffer[4096];
  while (true) {
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got <= 0) {
      return;
    }
    sink.append(buffer, static_cast<size_t>(got));
  }
}

/// The ids Command::rootless runs a program as: nobody and nogroup.
constexpr uid_t kNobody = 65534;
constexpr gid_t kNogroup = 65534;

} // namespace

UserNamespaceMaps::UserNamespaceMaps()
    : uid_map(fmt::format("0 {} 1", ::geteuid())), gid_map(fmt::format("0 {} 1", ::getegid())) {}

bool enter_user_namespace(const UserNamespaceMaps& maps) {
  return ::unshare(CLONE_NEWUSER) == 0 &&
         write_file_raw("/proc/self/uid_map", maps.uid_map.c_str()) &&
         write_file_raw("/proc/self/setgroups", "deny") &&
         write_file_raw("/proc/self/gid_map", maps.gid_map.c_str());
}

std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> children;
  std::error_code gone;
  for (const auto& task :
       std::filesystem::directory_iterator(fmt::format("/proc/{}/task", pid), gone)) {
    std::ifstream list(task.path() / "children");
    for (pid_t child = 0; list >> child;) {
      children.push_back(child);
    }
  }
  return children;
}

UniqueFd open_pidfd(pid_t pid) {
  return UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
}

bool wait_for_exit(const UniqueFd& pidfd, milliseconds timeout) {
  pollfd exited{pidfd.get(), POLLIN, 0};
  return ::poll(&exited, 1, static_cast<int>(timeout.count())) == 1;
}

// Groups first, while we may still change them, the uid last.
bool become_nobody() {
  return ::setgroups(0, nullptr) == 0 && ::setresgid(kNogroup, kNogroup, kNogroup) == 0 &&
         ::setresuid(kNobody, kNobody, kNobody) == 0;
}

bool can_become_nobody() {
  static const bool can = [] {
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::_exit(become_nobody() ? 0 : 1);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }();
  return can;
}

void adopt_orphans() {
  // Once is enough: the flag stays for the life of the process.
  static const bool done = [] {
    check(::prctl(PR_SET_CHILD_SUBREAPER, 1), "prctl", "PR_SET_CHILD_SUBREAPER");
    return true;
  }();
  (void)done;
}

std::string program(std::string_view name) { return fmt::format("{}/{}", NSLAB_BIN_DIR, name); }

std::string probe() { return NSLAB_PROBE; }

std::string Result::describe() const {
  return fmt::format("$ {}\nstatus: {}{}\n--- stdout ---\n{}--- stderr ---\n{}", command,
                     status.describe(), timed_out ? " (timed out, killed by the harness)" : "", out,
                     err);
}

bool runs_in_user_namespace() {
  static const bool needed = !can_create_namespaces();
  return needed;
}

Running start(const Command& command) {
  adopt_orphans();
  const bool wrap = command.root_in_user_namespace && runs_in_user_namespace();
  const bool as_nobody = command.rootless && can_become_nobody();
  const UserNamespaceMaps maps;
  // Said in the program's stderr if the harness cannot become root, so the
  // failed check explains itself; built here, as the child may not allocate.
  const std::string hint = nslab::apparmor_userns_hint(EPERM);
  const std::string wrap_failure = fmt::format(
      "nslab harness: could not become root in a new user namespace (like unshare -Ur){}{}\n",
      hint.empty() ? "" : "\n", hint);
  Pipe input = make_pipe();
  Pipe output = make_pipe();
  Pipe errors = make_pipe();
  std::vector<char*> argv;
  for (const std::string& word : command.argv) {
    argv.push_back(const_cast<char*>(word.c_str()));
  }
  argv.push_back(nullptr);

  const pid_t pid = check(::fork(), "fork");
  if (pid == 0) {
    ::dup2(input.read_end.get(), STDIN_FILENO);
    ::dup2(output.write_end.get(), STDOUT_FILENO);
    ::dup2(errors.write_end.get(), STDERR_FILENO);
    if (as_nobody && !become_nobody()) {
      ::_exit(kExitSetupFailed);
    }
    if (wrap && !enter_user_namespace(maps)) {
      [[maybe_unused]] const ssize_t ignored =
          ::write(STDERR_FILENO, wrap_failure.data(), wrap_failure.size());
      ::_exit(kExitSetupFailed);
    }
    ::execvp(argv[0], argv.data());
    ::_exit(exit_code_for_exec_errno(errno));
  }

  Running running;
  running.pid_ = pid;
  running.pidfd_ = open_pidfd(pid);
  check(running.pidfd_.valid() ? 0 : -1, "pidfd_open");
  running.started_ = Clock::now();
  running.timeout_ = command.timeout;
  running.command_ =
      fmt::format("{}{}{}", as_nobody ? "(as nobody) " : "",
                  wrap ? "(in a new user namespace) " : "", fmt::join(command.argv, " "));
  running.stdout_ = std::move(output.read_end);
  running.stderr_ = std::move(errors.read_end);
  check(::fcntl(running.stdout_.get(), F_SETFL, O_NONBLOCK), "fcntl");
  check(::fcntl(running.stderr_.get(), F_SETFL, O_NONBLOCK), "fcntl");
  // The test input is small, so a single write into the pipe buffer is enough.
  if (!command.input.empty()) {
    check(::write(input.write_end.get(), command.input.data(), command.input.size()), "write",
          "stdin");
  }
  if (!command.close_stdin) {
    running.stdin_ = std::move(input.write_end);
  }
  return running;
}

Running::~Running() {
  if (!reaped_ && pidfd_.valid()) {
    try {
      send_signal_to(pidfd_.get(), SIGKILL);
    } catch (const Error&) {
      // Nothing more a destructor can do; the wait below still reaps.
    }
    siginfo_t info{};
    ::waitid(P_PIDFD, static_cast<id_t>(pidfd_.get()), &info, WEXITED);
  }
}

bool Running::pump(milliseconds timeout) {
  pollfd watched[] = {
      {stdout_.get(), POLLIN, 0}, {stderr_.get(), POLLIN, 0}, {pidfd_.get(), POLLIN, 0}};
  const int ready = ::poll(watched, 3, static_cast<int>(timeout.count()));
  if (ready < 0 && errno != EINTR) {
    throw_errno("poll", "program output");
  }
  append_available(stdout_.get(), out_);
  append_available(stderr_.get(), err_);
  return watched[2].revents == 0; // false once the program has exited
}

bool Running::wait_for_output(std::string_view text, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (out_.find(text) == std::string::npos) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0 || !pump(left)) {
      append_available(stdout_.get(), out_);
      return out_.find(text) != std::string::npos;
    }
  }
  return true;
}

void Running::send_signal(int signal) { send_signal_to(pidfd_.get(), signal); }

void Running::close_stdin() { stdin_.reset(); }

Result Running::finish() {
  Result result;
  const auto deadline = started_ + timeout_;
  bool alive = true;
  while (alive) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      send_signal(SIGKILL);
      result.timed_out = true;
      break;
    }
    alive = pump(left);
  }
  stdin_.reset();
  siginfo_t info{};
  check(::waitid(P_PIDFD, static_cast<id_t>(pidfd_.get()), &info, WEXITED), "waitid");
  reaped_ = true;
  result.elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - started_);
  // Whatever is still in the pipes was written before the exit; a process
  // the program left behind could hold them open, so read without waiting.
  append_available(stdout_.get(), out_);
  append_available(stderr_.get(), err_);
  result.status = ExitStatus::from_siginfo(info);
  result.command = command_;
  result.out = out_;
  result.err = err_;
  return result;
}

Result run(const Command& command) { return start(command).finish(); }

std::vector<pid_t> leftover_processes(milliseconds timeout) {
  adopt_orphans();
  const auto deadline = Clock::now() + timeout;
  std::vector<pid_t> alive;
  for (const pid_t pid : children_of(::getpid())) {
    const UniqueFd pidfd = open_pidfd(pid);
    if (!pidfd.valid()) {
      continue; // already gone
    }
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (wait_for_exit(pidfd, std::max(left, milliseconds{0}))) {
      siginfo_t info{};
      ::waitid(P_PIDFD, static_cast<id_t>(pidfd.get()), &info, WEXITED);
    } else {
      alive.push_back(pid);
    }
  }
  return alive;
}

std::string unique_name(std::string_view prefix) {
  static std::atomic<int> counter{0};
  return fmt::format("{}-{}-{}", prefix, ::getpid(), counter++);
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "nslab-test-XXXXXX").string();
  check(::mkdtemp(pattern.data()) == nullptr ? -1 : 0, "mkdtemp", pattern);
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

} // namespace nslab::testing
