/// \file
/// \brief Waiting for a child while passing termination signals on to it.
#pragma once

#include "nslab/child.hpp"
#include "nslab/signals.hpp"

#include <chrono>
#include <optional>
#include <poll.h>
#include <span>
#include <vector>

namespace nslab {

/// Other work the wait loop does while the child runs, on descriptors of
/// its own: isolate relays the container's terminal this way. One loop
/// serves both, so a signal or the child's exit is never stuck behind a
/// read or a write.
class WaitCompanion {
public:
  virtual ~WaitCompanion() = default;
  /// Appends this round's descriptors to \p watched (negative fds are skipped).
  virtual void watch(std::vector<pollfd>& watched) = 0;
  /// Handles what poll(2) reported for them, in the order watch() added them.
  virtual void serve(std::span<const pollfd> ready) = 0;
  /// Called once the child has exited, before it is reaped.
  virtual void child_exited() = 0;
};

/// Who passes the terminal's signals (Ctrl-C, a hang-up) on to the child.
enum class TerminalSignals {
  /// The child shares our terminal and foreground process group, so the
  /// terminal has already sent it the signal: passing it on would double it.
  kAlreadyDelivered,
  /// The child runs in a session of its own, out of the terminal's reach:
  /// we are the only one who got the signal, so it is passed on too.
  kForward,
};

/// The end of the child lifecycle: waits for \p child to exit while handling
/// the signals in \p signals, and returns how it ended;
/// ExitStatus::shell_status() is then the program's exit status. A failure
/// the child reported before exec is thrown instead, once the child is
/// reaped (see Child::wait_for_exec()): run_main() prints it and exits with
/// 125, 126 or 127.
///
/// A signal sent to the parent alone (by kill(1), say) is forwarded to the
/// child; a signal from the terminal as \p terminal_signals says. When
/// \p grace is set, the child is killed if it is still alive that long after
/// the first signal: a PID 1 ignores signals it has no handler for, so
/// without this, Ctrl-C could never end it. \p companion, if given, is
/// served in the same loop.
ExitStatus wait_forwarding_signals(
    Child& child, SignalFd& signals, std::optional<std::chrono::milliseconds> grace = std::nullopt,
    TerminalSignals terminal_signals = TerminalSignals::kAlreadyDelivered,
    WaitCompanion* companion = nullptr);

} // namespace nslab
