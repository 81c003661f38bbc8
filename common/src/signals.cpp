#include "nslab/signals.hpp"

#include "nslab/error.hpp"

#include <cerrno>
#include <unistd.h>

namespace nslab {
namespace {

/// The mask the program started with, saved by the first SignalFd.
std::optional<sigset_t> original_mask;

} // namespace

SignalFd::SignalFd(std::initializer_list<int> signals) {
  sigset_t mask;
  sigemptyset(&mask);
  for (const int signal : signals) {
    sigaddset(&mask, signal);
  }
  check(::sigprocmask(SIG_BLOCK, &mask, &old_mask_), "sigprocmask");
  if (!original_mask) {
    original_mask = old_mask_;
  }
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

void ignore_broken_pipe_signal() noexcept { ::signal(SIGPIPE, SIG_IGN); }

void restore_signals_for_exec() noexcept {
  ::signal(SIGPIPE, SIG_DFL);
  if (original_mask) {
    ::sigprocmask(SIG_SETMASK, &*original_mask, nullptr);
  }
}

} // namespace nslab
