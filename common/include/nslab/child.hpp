/// \file
/// \brief One child lifecycle for all four programs: start it in new
/// namespaces with clone(2), release it from the checkpoint, learn whether it
/// failed before exec, and own it until it is reaped.
#pragma once

#include "nslab/checkpoint.hpp"
#include "nslab/error.hpp"
#include "nslab/error_channel.hpp"
#include "nslab/exit_status.hpp"
#include "nslab/unique_fd.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace nslab {

/// When the child starts on its own work (see clone_child()).
enum class Start {
  /// At once: the parent has nothing to set up from outside.
  kAtOnce,
  /// After the parent's Child::release(): the child waits at the checkpoint
  /// while the parent sets it up from outside (id maps, links). Use it with
  /// `CLONE_NEWPID` too: there the checkpoint is how the child learns that the
  /// parent died before it could arm its parent-death signal.
  kWhenReleased,
};

/// A child process started by clone_child(). Owns its pid file descriptor,
/// the parent's ends of its checkpoint and of its error channel.
///
/// The destructor never leaves a process behind: a child that has not been
/// reaped yet is killed with SIGKILL and reaped.
class Child {
public:
  /// Takes ownership of \p pid, its \p pidfd, the \p checkpoint it waits at
  /// (none for Start::kAtOnce) and the \p errors it reports on. Only
  /// clone_child() makes one.
  Child(pid_t pid, UniqueFd pidfd, std::optional<Checkpoint> checkpoint,
        ErrorChannel errors) noexcept
      : pid_(pid), pidfd_(std::move(pidfd)), checkpoint_(std::move(checkpoint)),
        errors_(std::move(errors)) {}
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

  /// Lets a child started with Start::kWhenReleased go on (see
  /// Checkpoint::release()). The checkpoint's write end stays open as long as
  /// this object lives: it is the lifeline the child checks.
  void release();

  /// Blocks until the child has exec'd or exited. If it reported a failure
  /// before exec instead, reaps it and throws that failure: an ExecError
  /// (126 or 127) when exec failed, an Error (125) otherwise.
  void wait_for_exec();
  /// The failure the child reported before exec, if any (see
  /// ErrorChannel::receive()); for a parent that polls failure_fd() among
  /// other descriptors. It blocks until the child has exec'd or exited.
  [[nodiscard]] std::optional<ChildFailure> failure() { return errors_.receive(); }
  /// The descriptor to poll(2) for the failure report; -1 once received.
  [[nodiscard]] int failure_fd() const noexcept { return errors_.read_fd(); }

  /// Blocks until the child exits, reaps it and decodes how it ended. Once
  /// reaped, it returns the same status again.
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
  std::optional<Checkpoint> checkpoint_;
  ErrorChannel errors_;
  std::optional<ExitStatus> status_;
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
/// parent dies. With Start::kWhenReleased it first waits at its checkpoint
/// until Child::release(), and exits with 125 if the parent died instead.
/// Whatever \p child_main throws goes to the parent over the child's error
/// channel (see Child::wait_for_exec()). stdio is flushed first so buffered
/// output is not printed twice. Throws nslab::Error if clone(2) fails.
///
/// Call it from a single-threaded program, as all four labs are: the child
/// is a copy of the calling thread only, and uses malloc, fmt and exceptions,
/// whose locks another thread might have held at the moment of the copy.
[[nodiscard]] Child clone_child(int namespace_flags, std::function<int()> child_main,
                                Start start = Start::kAtOnce);

/// The error for \p call (clone(2) or unshare(2)) failing with \p errnum
/// while it made the namespaces in \p namespace_flags. An ordinary user's
/// EPERM also says what to do about it: put `unshare -Ur` in front. (Not
/// under Ubuntu's AppArmor restriction, where that would not help and
/// run_main prints the real fix.)
[[nodiscard]] Error namespace_error(int errnum, std::string call, int namespace_flags);

/// Replaces the process with \p command, searching the `PATH` of the current
/// environment, after restore_signals_for_exec(). Returns only by throwing
/// ExecError.
[[noreturn]] void exec_command(const std::vector<std::string>& command);

} // namespace nslab
