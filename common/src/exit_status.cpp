#include "nslab/exit_status.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fmt/core.h>

namespace nslab {

int exit_code_for_exec_errno(int errnum) noexcept {
  return errnum == ENOENT ? kExitNotFound : kExitCannotExecute;
}

ExitStatus ExitStatus::from_siginfo(const siginfo_t& info) noexcept {
  if (info.si_code == CLD_EXITED) {
    return exited(info.si_status);
  }
  return killed(info.si_status); // CLD_KILLED or CLD_DUMPED
}

int ExitStatus::shell_status() const noexcept {
  return signaled_ ? kExitSignalBase + value_ : value_;
}

std::string ExitStatus::describe() const {
  if (!signaled_) {
    return fmt::format("exited with {}", value_);
  }
  const char* abbrev = sigabbrev_np(value_);
  return abbrev ? fmt::format("killed by SIG{}", abbrev)
                : fmt::format("killed by signal {}", value_);
}

} // namespace nslab
