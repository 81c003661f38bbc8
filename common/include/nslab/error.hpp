/// \file
/// \brief The error types every part throws, and the helpers that build them.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

namespace nslab {

/// A failed system call, with the step and the object it was working on.
///
/// `what()` reads like `pivot_root(/srv/rootfs): Invalid argument`, so a
/// program can print it after its own name and the user sees the step, the
/// object and the errno text in one line.
class Error : public std::system_error {
public:
  /// \p errnum is the errno value, \p call the failing step (usually the
  /// system call's name) and \p object what it acted on (may be empty).
  Error(int errnum, std::string call, std::string object = {});

  /// The failing step, for example `sethostname`.
  [[nodiscard]] const std::string& call() const noexcept { return call_; }
  /// What the step acted on, for example a path; may be empty.
  [[nodiscard]] const std::string& object() const noexcept { return object_; }

private:
  std::string call_;
  std::string object_;
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
  /// \p errnum from the failed exec, \p command the program name.
  ExecError(int errnum, const std::string& command);
  /// 127 when the command was not found, 126 when it could not be executed.
  [[nodiscard]] int exit_code() const noexcept { return exit_code_; }

private:
  int exit_code_;
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
