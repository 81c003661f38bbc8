/// \file
/// \brief The test harness: runs a built program as a black box and lets a
/// test look at the host from outside.
#pragma once

#include "nslab/exit_status.hpp"
#include "nslab/unique_fd.hpp"

#include <chrono>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace nslab::testing {

using std::chrono::milliseconds;

/// Path of a program in the build's bin/ directory, e.g. `program("uts-demo")`.
[[nodiscard]] std::string program(std::string_view name);

/// Path of nslab-probe, the observer tests run inside namespaces.
[[nodiscard]] std::string probe();

/// What to run and how: `Command{{"uts-demo", "-v"}, "input\n"}`, then
/// set the other fields by name where the defaults do not fit.
struct Command {
  /// \p words is argv (argv[0] a path or a name on PATH); \p stdin_text is
  /// written to the program's stdin.
  Command(std::vector<std::string> words, std::string stdin_text = {})
      : argv(std::move(words)), input(std::move(stdin_text)) {}
  std::vector<std::string> argv; ///< argv[0] is a path or a name on PATH.
  std::string input;             ///< Written to the program's stdin.
  bool close_stdin = true;       ///< False keeps stdin open (a silent peer).
  milliseconds timeout{10'000};  ///< After this, SIGKILL and a failed test.
  /// When the caller is unprivileged, run the program as root in a user
  /// namespace made by the harness. False runs it as the caller anyway, for
  /// a program that makes its own user namespace (isolate).
  bool root_in_user_namespace = true;
  bool rootless = false; ///< run the program as nobody (65534:65534) with no
                         ///< supplementary groups when the test may switch ids
                         ///< (it runs as root); else as the caller, who is
                         ///< unprivileged already
};

/// What a finished program did.
struct Result {
  std::string command;                        ///< The command line, for failure messages.
  std::string out;                            ///< Everything it wrote to stdout.
  std::string err;                            ///< Everything it wrote to stderr.
  ExitStatus status = ExitStatus::exited(-1); ///< How it ended.
  bool timed_out = false;                     ///< True when the harness had to kill it.
  milliseconds elapsed{0};                    ///< Wall time from start to exit.
  /// The shell-style exit status (code, or 128 + signal).
  [[nodiscard]] int code() const { return status.shell_status(); }
  /// A readable account of the run, for failure messages.
  [[nodiscard]] std::string describe() const;
};

/// True when the test process lacks the privilege to create namespaces
/// itself, so programs run inside a user namespace the harness makes. Found
/// by trying, once, never by comparing uids.
[[nodiscard]] bool runs_in_user_namespace();

/// True when the test process may switch to nobody (it runs as root), as
/// Command::rootless does. Found by trying in a forked child, once.
[[nodiscard]] bool can_become_nobody();

/// Becomes nobody:nogroup with no supplementary groups, for a forked child
/// about to exec (async-signal-safe calls only). False if not allowed.
[[nodiscard]] bool become_nobody();

/// A program started by start(). Its stdout and stderr are collected while
/// the test waits. Destroying it kills and reaps it if it is still running.
class Running {
public:
  Running(Running&&) noexcept = default;
  Running& operator=(Running&&) = delete;
  ~Running();

  /// The program's pid.
  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  /// Waits until stdout contains \p text; false if the program exits or
  /// \p timeout passes first.
  [[nodiscard]] bool wait_for_output(std::string_view text,
                                     milliseconds timeout = milliseconds{5000});
  /// What stdout holds so far.
  [[nodiscard]] const std::string& out_so_far() const noexcept { return out_; }
  /// What stderr holds so far.
  [[nodiscard]] const std::string& err_so_far() const noexcept { return err_; }
  /// The command line, for failure messages.
  [[nodiscard]] const std::string& command() const noexcept { return command_; }
  /// Sends \p signal to the program (through its pidfd).
  void send_signal(int signal);
  /// Closes the program's stdin (kept open with close_stdin = false), so a
  /// program that reads it sees end-of-file.
  void close_stdin();
  /// Waits for the program to exit (within the command's timeout) and reaps
  /// it; stdin stays open until then.
  [[nodiscard]] Result finish();

private:
  friend Running start(const Command& command);
  Running() = default;
  bool pump(milliseconds timeout);

  pid_t pid_ = -1;
  UniqueFd pidfd_;
  UniqueFd stdin_;
  UniqueFd stdout_;
  UniqueFd stderr_;
  std::string out_;
  std::string err_;
  milliseconds timeout_{0};
  std::string command_;
  std::chrono::steady_clock::time_point started_;
  bool reaped_ = false;
};

/// Starts \p command with piped stdin, stdout and stderr. When
/// runs_in_user_namespace() is true, the program starts as root inside a new
/// user namespace that maps the caller's ids, like `unshare -Ur`.
[[nodiscard]] Running start(const Command& command);

/// start() then finish().
[[nodiscard]] Result run(const Command& command);

/// The uid and gid maps that make the caller root in a new user namespace,
/// like `unshare -Ur`; made before fork, since a forked child may not
/// allocate.
struct UserNamespaceMaps {
  std::string uid_map; ///< `0 EUID 1`
  std::string gid_map; ///< `0 EGID 1`
  UserNamespaceMaps();
};

/// Makes the calling process root in a new user namespace with \p maps
/// (uid_map, then setgroups deny, then gid_map, as user_namespaces(7)
/// requires of an unprivileged writer). Async-signal-safe, for a forked
/// child; false on failure.
[[nodiscard]] bool enter_user_namespace(const UserNamespaceMaps& maps);

/// The children of \p pid, from /proc (the kernel lists them per thread);
/// none once \p pid is gone.
[[nodiscard]] std::vector<pid_t> children_of(pid_t pid);

/// A pidfd for \p pid, which need not be the test's child; not valid when
/// \p pid is already gone.
[[nodiscard]] UniqueFd open_pidfd(pid_t pid);

/// Waits until the process of \p pidfd has exited; false when \p timeout
/// passes first (a bound, not the thing checked).
[[nodiscard]] bool wait_for_exit(const UniqueFd& pidfd, milliseconds timeout);

/// Makes the test process a child subreaper (PR_SET_CHILD_SUBREAPER), so
/// orphans of anything it starts come to it rather than to init. start()
/// does this; call it yourself before forking by other means.
void adopt_orphans();

/// Processes that the test process has inherited as a child subreaper (see
/// PR_SET_CHILD_SUBREAPER) and that have not exited within \p timeout: any
/// process a program left behind ends up here. Exited ones are reaped.
[[nodiscard]] std::vector<pid_t> leftover_processes(milliseconds timeout = milliseconds{2000});

/// A name unique to this test process and call, for queues, links and
/// directories that parallel tests must not share: `PREFIX-PID-N`.
[[nodiscard]] std::string unique_name(std::string_view prefix);

/// A temporary directory removed (recursively) on destruction.
class TempDir {
public:
  TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();
  /// Its absolute path.
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

private:
  std::string path_;
};

} // namespace nslab::testing
