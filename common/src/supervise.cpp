#include "nslab/supervise.hpp"

#include "nslab/deadline.hpp"
#include "nslab/error.hpp"

#include <cerrno>
#include <poll.h>

namespace nslab {

ExitStatus wait_forwarding_signals(Child& child, SignalFd& signals,
                                   std::optional<std::chrono::milliseconds> grace) {
  std::optional<SteadyClock::time_point> kill_deadline;
  while (true) {
    pollfd watched[] = {{child.pidfd(), POLLIN, 0}, {signals.fd(), POLLIN, 0}};
    const int ready = ::poll(watched, 2, poll_timeout(kill_deadline));
    if (ready < 0 && errno != EINTR) {
      throw_errno("poll", "child and signals");
    }
    if (watched[0].revents != 0) {
      return child.wait();
    }
    if (ready == 0) { // the grace period ran out
      return child.kill_and_wait();
    }
    while (const auto signal = signals.take()) {
      if (!sent_by_terminal(*signal)) {
        child.send_signal(static_cast<int>(signal->ssi_signo));
      }
      if (grace && !kill_deadline) {
        kill_deadline = SteadyClock::now() + *grace;
      }
    }
  }
}

} // namespace nslab
