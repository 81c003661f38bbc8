#include "nslab/signals.hpp"

#include "nslab/error.hpp"

#include <cerrno>
#include <unistd.h>

namespace nslab {

SignalFd::SignalFd(std::initializer_list<int> signals) {
  sigset_t mask;
  sigemptyset(&mask);
  for (const int signal : signals) {
    sigaddset(&mask, signal);
  }
  check(::sigprocmask(SIG_BLOCK, &mask, &old_mask_), "sigprocmask");
  fd_.reset(check(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK), "signalfd"));
}

SignalFd::~SignalFd() {
  fd_.reset();
  ::sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
}

std::optional<signalfd_siginfo> SignalFd::take() {
  signalfd_siginfo info{};
  const ssize_t got = ::read(fd_.get(), &info, sizeof info);
  if (got < 0 && (errno == EAGAIN || errno == EINTR)) {
    return std::nullopt;
  }
  check(got, "read", "signalfd");
  return info;
}

bool sent_by_terminal(const signalfd_siginfo& info) noexcept {
  // kill(2) and friends mark the signal SI_USER or SI_QUEUE and give the
  // sender's pid; the tty driver sends SI_KERNEL.
  return info.ssi_code == SI_KERNEL;
}

void unblock_all_signals() noexcept {
  sigset_t empty;
  sigemptyset(&empty);
  ::sigprocmask(SIG_SETMASK, &empty, nullptr);
}

} // namespace nslab
