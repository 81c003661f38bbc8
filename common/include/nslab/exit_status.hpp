/// \file
/// \brief How a child ended, and the `docker run` exit-status contract.
#pragma once

#include <string>
#include <sys/wait.h>

namespace nslab {

/// Exit statuses shared by all four programs; they follow `docker run`.
enum ExitCode : int {
  kExitOk = 0,              ///< Everything worked.
  kExitSetupFailed = 125,   ///< The program itself failed: bad usage or a setup step.
  kExitCannotExecute = 126, ///< COMMAND exists but could not be executed.
  kExitNotFound = 127,      ///< COMMAND was not found.
  kExitSignalBase = 128,    ///< COMMAND was killed by signal N: 128 + N.
};

/// The exit status to use when execvp(3) fails with \p errnum:
/// 127 for "not found", 126 for everything else.
[[nodiscard]] int exit_code_for_exec_errno(int errnum) noexcept;

/// How a child process ended: with an exit code, or killed by a signal.
class ExitStatus {
public:
  /// Decodes the `siginfo_t` that waitid(2) filled in.
  [[nodiscard]] static ExitStatus from_siginfo(const siginfo_t& info) noexcept;
  /// A normal exit with \p code.
  [[nodiscard]] static ExitStatus exited(int code) noexcept { return {false, code}; }
  /// Death by signal \p signal.
  [[nodiscard]] static ExitStatus killed(int signal) noexcept { return {true, signal}; }

  /// True when the child was killed by a signal.
  [[nodiscard]] bool signaled() const noexcept { return signaled_; }
  /// The exit code (when !signaled()) or the signal number (when signaled()).
  [[nodiscard]] int value() const noexcept { return value_; }
  /// The status a shell would report: the code, or 128 + the signal number.
  [[nodiscard]] int shell_status() const noexcept;
  /// Human-readable form, for example `exited with 7` or `killed by SIGTERM`.
  [[nodiscard]] std::string describe() const;

  /// Two statuses are equal when they ended the same way.
  friend bool operator==(const ExitStatus&, const ExitStatus&) = default;

private:
  ExitStatus(bool signaled, int value) noexcept : signaled_(signaled), value_(value) {}
  bool signaled_;
  int value_;
};

} // namespace nslab
