/// \file
/// \brief Starting a child in new namespaces with clone(2), and owning it.
#pragma once

#include "nslab/exit_status.hpp"
#include "nslab/unique_fd.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace nslab {

/// A child process started by clone_child(). Owns its pid file descriptor.
///
/// The destructor never leaves a process behind: a child that has not been
/// reaped yet is killed with SIGKILL and reaped.
class Child {
public:
  /// Takes ownership of \p pid and its \p pidfd.
  Child(pid_t pid, UniqueFd pidfd) noexcept : pid_(pid), pidfd_(std::move(pidfd)) {}
  /// Moves ownership; \p other no longer owns the child.
  Child(Child&& other) noexcept = default;
  Child& operator=(Child&&) = delete;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  /// Kills and reaps the child if wait() has not reaped it yet.
  ~Child();

  /// The child's pid, as the parent sees it.
  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  /// A pidfd for the child: poll(2) reports it readable once the child exits.
  [[nodiscard]] int pidfd() const noexcept { return pidfd_.get(); }

  /// Blocks until the child exits, reaps it and decodes how it ended.
  ExitStatus wait();
  /// Like wait(), but gives up after \p timeout and returns nothing.
  std::optional<ExitStatus> wait_for(std::chrono::milliseconds timeout);
  /// Sends \p signal through the pidfd (see send_signal_to()).
  void send_signal(int signal);
  /// Sends SIGKILL and reaps; returns how the child ended.
  ExitStatus kill_and_wait();

private:
  pid_t pid_;
  UniqueFd pidfd_;
  bool reaped_ = false;
};

/// Sends \p signal to the process behind \p pidfd. A pidfd names one
/// process for good, so the signal can never hit a recycled pid. Sending to
/// a process that has exited is not an error.
void send_signal_to(int pidfd, int signal);

/// Size of the stack given to the cloned child; a guard page sits below it.
inline constexpr std::size_t kChildStackSize = 1024 * 1024;

/// Starts \p child_main in a new process created by clone(2) with the
/// namespace flags \p namespace_flags (for example `CLONE_NEWUTS`).
///
/// The child gets its own copy of the parent's memory and descriptors (no
/// `CLONE_VM`, no `CLONE_FILES`), runs \p child_main on a fresh mmap'd stack
/// and `_exit`s with its return value. The child is sent SIGKILL if the
/// parent dies. stdio is flushed first so buffered output is not printed
/// twice. Throws nslab::Error if clone(2) fails.
///
/// Call it from a single-threaded program, as all four labs are: the child
/// is a copy of the calling thread only, and uses malloc, fmt and exceptions,
/// whose locks another thread might have held at the moment of the copy.
[[nodiscard]] Child clone_child(int namespace_flags, std::function<int()> child_main);

/// Replaces the process with \p command, searching the `PATH` of the current
/// environment, after restore_signals_for_exec(). Returns only by throwing
/// ExecError.
[[noreturn]] void exec_command(const std::vector<std::string>& command);

} // namespace nslab
