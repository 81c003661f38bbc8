/// \file
/// \brief The error types every part throws, and the helpers that build them.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace nslab {

/// A failed setup step, with the step and the object it was working on.
///
/// `what()` reads like `pivot_root(/srv/rootfs): Invalid argument`, so a
/// program can print it after its own name and the user sees the step, the
/// object and the errno text in one line. Every setup failure of the four
/// programs is one of these, including a child's failure before exec, which
/// the parent throws again (see Child::wait_for_exec()).
class Error : public std::system_error {
public:
  /// \p errnum is the errno value (0 when there is none), \p call the failing
  /// step (usually the system call's name), \p object what it acted on (may
  /// be empty) and \p reason what went wrong, when the errno text alone does
  /// not say it (empty: the errno text).
  Error(int errnum, std::string call, std::string object = {}, std::string reason = {});
  /// A failure that no errno describes (a refusal of the program's own, say):
  /// \p line is the whole line, for example
  /// `--net veth needs root (...); try --net loopback`.
  explicit Error(std::string line) : Error(0, {}, {}, std::move(line)) {}

  /// The whole line, for example `pivot_root(/srv/rootfs): Invalid argument`.
  [[nodiscard]] const char* what() const noexcept override { return message_.c_str(); }
  /// The failing step, for example `sethostname`; may be empty.
  [[nodiscard]] const std::string& call() const noexcept { return call_; }
  /// What the step acted on, for example a path; may be empty.
  [[nodiscard]] const std::string& object() const noexcept { return object_; }
  /// What went wrong: the reason given, or else the errno text.
  [[nodiscard]] const std::string& reason() const noexcept { return reason_; }
  /// The exit status for this failure: 125, the program itself failed.
  [[nodiscard]] virtual int exit_code() const noexcept;

private:
  std::string call_;
  std::string object_;
  std::string reason_;
  std::string message_;
};

/// Throws nslab::Error built from the current `errno`.
[[noreturn]] void throw_errno(std::string call, std::string object = {});

/// Returns \p result, or throws nslab::Error from `errno` when it is -1.
///
/// Wraps the common "returns -1 and sets errno" convention:
/// `int fd = check(open(path, O_RDONLY), "open", path);`
template <typename T>
T check(T result, std::string_view call, std::string_view object = {}) {
  if (result == T(-1)) {
    throw_errno(std::string(call), std::string(object));
  }
  return result;
}

/// Thrown when execvp(3) fails; carries the 126 or 127 exit status to use.
class ExecError : public Error {
public:
  /// \p errnum from the failed exec, \p command the program name, \p reason
  /// as for Error.
  ExecError(int errnum, const std::string& command, std::string reason = {});
  /// 127 when the command was not found, 126 when it could not be executed.
  [[nodiscard]] int exit_code() const noexcept override;
};

/// Bad command-line input: the program prints this line, then where to find
/// help (`Try 'PROG --help' ...`), to stderr and exits 125.
class UsageError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// `-h`/`--help` was given: run_main() prints the usage to stdout and
/// returns 0. Thrown rather than exiting, so that only `main` ever decides
/// how the program ends.
class HelpRequested : public std::exception {
public:
  /// What the exception is about.
  [[nodiscard]] const char* what() const noexcept override { return "help requested"; }
};

} // namespace nslab
