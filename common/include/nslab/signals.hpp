/// \file
/// \brief Receiving signals as data through signalfd(2).
#pragma once

#include "nslab/unique_fd.hpp"

#include <initializer_list>
#include <optional>
#include <signal.h>
#include <sys/signalfd.h>

namespace nslab {

/// The signals a parent catches so it can clean up and pass them on.
inline constexpr std::initializer_list<int> kTerminationSignals = {SIGINT, SIGTERM, SIGHUP,
                                                                   SIGQUIT};

/// Blocks a set of signals and delivers them through a pollable descriptor.
///
/// A blocked signal waits in the kernel instead of interrupting the program
/// at a random point, so clean-up code runs at a well-defined place in the
/// poll(2) loop. The old signal mask comes back on destruction.
class SignalFd {
public:
  /// Blocks \p signals and opens the signalfd (`SFD_CLOEXEC`).
  explicit SignalFd(std::initializer_list<int> signals = kTerminationSignals);
  SignalFd(const SignalFd&) = delete;
  SignalFd& operator=(const SignalFd&) = delete;
  /// Restores the signal mask that was in force before construction.
  ~SignalFd();

  /// The descriptor to poll(2); readable while a signal is pending.
  [[nodiscard]] int fd() const noexcept { return fd_.get(); }
  /// Takes one pending signal without blocking; nothing if none is pending.
  [[nodiscard]] std::optional<signalfd_siginfo> take();

private:
  sigset_t old_mask_{};
  UniqueFd fd_;
};

/// True when \p info was sent by the terminal (for example Ctrl-C), which
/// delivers it to the whole foreground process group, children included.
[[nodiscard]] bool sent_by_terminal(const signalfd_siginfo& info) noexcept;

/// Makes a write to a pipe with no reader fail with EPIPE instead of killing
/// the program with SIGPIPE: a child that died early then shows up as an
/// error with a message, not as a silent death. run_main() calls it.
void ignore_broken_pipe_signal() noexcept;

/// Gives COMMAND the signal state the program itself started with: the
/// signal mask from before the first SignalFd, and SIGPIPE's default action.
/// A child calls this right before exec, because both survive execve(2):
/// COMMAND would otherwise start with SIGINT blocked and SIGPIPE ignored.
void restore_signals_for_exec() noexcept;

} // namespace nslab
