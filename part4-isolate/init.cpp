// --init: the small PID 1 that reaps orphans and passes signals on to
// COMMAND. Separate because it runs after setup, in place of an exec, and
// only when asked for.

#include "init.hpp"

#include "nslab/child.hpp"
#include "nslab/error.hpp"
#include "nslab/exit_status.hpp"
#include "nslab/signals.hpp"
#include "nslab/unique_fd.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <optional>
#include <poll.h>
#include <sstream>
#include <string>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utility>

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

/// The area of our memory that /proc/self/cmdline or environ shows.
struct Area {
  char* begin;
  char* end;
};

/// The argument and environment areas, from /proc/self/stat (fields 48 to
/// 51, counted from 1; the name in field 2 may hold spaces, so count after
/// its closing parenthesis).
std::pair<Area, Area> argument_and_environment_areas() {
  std::ifstream stat("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::vector<std::string> values;
  for (std::string field; fields >> field;) {
    values.push_back(field);
  }
  if (values.size() < 49) {
    throw nslab::Error("/proc/self/stat: too few fields for the argument area");
  }
  const auto at = [&](std::size_t field) {
    return reinterpret_cast<char*>(static_cast<std::uintptr_t>(std::stoull(values[field - 3])));
  };
  return {{at(48), at(49)}, {at(50), at(51)}};
}

/// Fills \p area with \p words, each ended by a NUL, and NULs after them.
/// Words that no longer fit are left out.
void overwrite(Area area, const std::vector<std::string>& words) {
  char* next = area.begin;
  for (const std::string& word : words) {
    if (static_cast<std::size_t>(area.end - next) < word.size() + 1) {
      break;
    }
    next = std::copy(word.begin(), word.end(), next);
    *next++ = '\0';
  }
  std::fill(next, area.end, '\0');
}

} // namespace

// [hide-isolate]
void hide_isolate_in_pid1(const std::vector<std::string>& command,
                          const std::vector<std::string>& env) {
  // PID 1 is a copy of isolate, not a new program: its memory still holds
  // isolate's arguments, the host's environment and the rest. Root inside
  // is PID 1's owner, so only non-dumpable keeps it out; and PR_SET_DUMPABLE
  // needs no privilege, so this works rootless too. An exec would reset it.
  nslab::check(::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "prctl", "PR_SET_DUMPABLE 0");
  // /proc/1/cmdline is readable by all, dumpable or not: it shows the
  // argument area, isolate's whole command line. Rewritten in place, as
  // setproctitle does: COMMAND's words fit, since isolate's argv held them.
  const auto [arguments, environment] = argument_and_environment_areas();
  overwrite(arguments, command);
  overwrite(environment, env);
}
// [hide-isolate]

// [init-loop]
int run_init(const std::vector<std::string>& command) {
  // SIGCHLD is blocked before the fork, so no exit can slip by unseen. A
  // signal PID 1 has blocked is queued even though PID 1 has no handler.
  nslab::SignalFd signals({SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGQUIT});
  const pid_t command_pid = nslab::check(::fork(), "fork");
  if (command_pid == 0) {
    nslab::exec_command(command); // on failure throws, and this copy reports it
  }
  // PID 1 keeps nothing of the host's open: a process in the container could
  // otherwise reach a host file through /proc/1/fd. That closes PID 1's copy
  // of the error channel too: from now on only COMMAND's exec can report.
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
