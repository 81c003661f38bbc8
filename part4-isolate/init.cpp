// --init: the small PID 1 that reaps orphans and passes signals on to
// COMMAND. Separate because it runs after setup, in place of an exec, and
// only when asked for.

#include "init.hpp"

#include "nslab/cli.hpp"
#include "nslab/error.hpp"
#include "nslab/exit_status.hpp"
#include "nslab/signals.hpp"
#include "nslab/unique_fd.hpp"

#include <cerrno>
#include <optional>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace isolate {
namespace {

/// Reaps every child that has exited. Returns the shell status of
/// \p command_pid if it was among them.
std::optional<int> reap_children(pid_t command_pid) {
  std::optional<int> command_status;
  while (true) {
    siginfo_t info{};
    if (::waitid(P_ALL, 0, &info, WEXITED | WNOHANG) != 0 || info.si_pid == 0) {
      return command_status; // ECHILD (no children left) or none exited yet
    }
    if (info.si_pid == command_pid) {
      command_status = nslab::ExitStatus::from_siginfo(info).shell_status();
    }
  }
}

void wait_for_signal(const nslab::SignalFd& signals) {
  pollfd readable{signals.fd(), POLLIN, 0};
  if (::poll(&readable, 1, -1) < 0 && errno != EINTR) {
    nslab::throw_errno("poll", "signalfd");
  }
}

} // namespace

// [init-loop]
int run_init(const std::vector<std::string>& command, nslab::ErrorChannel& errors) {
  // SIGCHLD is blocked before the fork, so no exit can slip by unseen. A
  // signal PID 1 has blocked is queued even though PID 1 has no handler.
  nslab::SignalFd signals({SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGQUIT});
  const pid_t command_pid = nslab::check(::fork(), "fork");
  if (command_pid == 0) {
    nslab::exec_command(command); // on failure throws, and this copy reports it
  }
  errors.close_write_end(); // from now on only COMMAND's exec can report
  // PID 1 keeps nothing of the host's open: a process in the container could
  // otherwise reach a host file through /proc/1/fd.
  nslab::close_descriptors_except(3, signals.fd());
  while (true) {
    wait_for_signal(signals);
    while (const auto signal = signals.take()) {
      if (signal->ssi_signo == SIGCHLD) {
        if (const auto status = reap_children(command_pid)) {
          return *status; // the kernel kills whatever is left when PID 1 exits
        }
      } else if (!nslab::sent_by_terminal(*signal)) {
        // The terminal already sent it to COMMAND, which is in its process group.
        ::kill(command_pid, static_cast<int>(signal->ssi_signo));
      }
    }
  }
}
// [init-loop]

} // namespace isolate
