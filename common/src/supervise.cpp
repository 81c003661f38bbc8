#include "nslab/supervise.hpp"

#include "nslab/deadline.hpp"
#include "nslab/error.hpp"

#include <cerrno>

namespace nslab {

ExitStatus wait_forwarding_signals(Child& child, SignalFd& signals,
                                   std::optional<std::chrono::milliseconds> grace,
                                   TerminalSignals terminal_signals, WaitCompanion* companion) {
  std::optional<SteadyClock::time_point> kill_deadline;
  std::vector<pollfd> watched;
  while (true) {
    // The failure report's descriptor is -1 once read: poll(2) skips it.
    watched = {
        {child.pidfd(), POLLIN, 0}, {signals.fd(), POLLIN, 0}, {child.failure_fd(), POLLIN, 0}};
    if (companion) {
      companion->watch(watched);
    }
    if (::poll(watched.data(), watched.size(), poll_timeout(kill_deadline)) < 0 && errno != EINTR) {
      throw_errno("poll", "child and signals");
    }
    // The companion first: what the child wrote just before it exited is
    // still relayed in order.
    if (companion) {
      companion->serve(std::span<const pollfd>(watched).subspan(3));
    }
    if (watched[0].revents != 0 || watched[2].revents != 0) {
      // It exec'd, reported a failure or exited: the read cannot block now.
      child.wait_for_exec();
    }
    if (watched[0].revents != 0) {
      if (companion) {
        companion->child_exited();
      }
      return child.wait();
    }
    if (kill_deadline && SteadyClock::now() >= *kill_deadline) { // the grace ran out
      return child.kill_and_wait();
    }
    while (const auto signal = signals.take()) {
      if (terminal_signals == TerminalSignals::kForward || !sent_by_terminal(*signal)) {
        child.send_signal(static_cast<int>(signal->ssi_signo));
      }
      if (grace && !kill_deadline) {
        kill_deadline = SteadyClock::now() + *grace;
      }
    }
  }
}

} // namespace nslab
