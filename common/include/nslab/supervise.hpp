/// \file
/// \brief Waiting for a child while passing termination signals on to it.
#pragma once

#include "nslab/child.hpp"
#include "nslab/signals.hpp"

#include <chrono>
#include <optional>

namespace nslab {

/// Waits for \p child to exit while handling the signals in \p signals.
///
/// A signal sent to the parent alone (by kill(1), say) is forwarded to the
/// child. A signal from the terminal is not, because the terminal already
/// sent it to the child, which shares the foreground process group. When
/// \p grace is set, the child is killed if it is still alive that long after
/// the first signal: a PID 1 ignores signals it has no handler for, so
/// without this, Ctrl-C could never end it.
ExitStatus wait_forwarding_signals(Child& child, SignalFd& signals,
                                   std::optional<std::chrono::milliseconds> grace = std::nullopt);

} // namespace nslab
