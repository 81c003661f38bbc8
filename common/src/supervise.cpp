#include "nslab/supervise.hpp"

#include "nslab/error.hpp"

#include <cerrno>
#include <poll.h>

namespace nslab {
namespace {

using Clock = std::chrono::steady_clock;

int poll_timeout(std::optional<Clock::time_point> deadline) {
  if (!deadline) {
    return -1;
  }
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now());
  return static_cast<int>(std::max<std::chrono::milliseconds::rep>(left.count(), 0));
}

} // namespace

ExitStatus wait_forwarding_signals(Child& child, SignalFd& signals,
                                   std::optional<std::chrono::milliseconds> grace) {
  std::optional<Clock::time_point> kill_deadline;
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
        kill_deadline = Clock::now() + *grace;
      }
    }
  }
}

} // namespace nslab
