/// \file
/// \brief The error channel: the child reports a failure before exec back to
/// the parent.
#pragma once

#include "nslab/error.hpp"
#include "nslab/unique_fd.hpp"

#include <functional>
#include <optional>
#include <string>

namespace nslab {

/// What a child reported over the ErrorChannel before it could exec.
struct ChildFailure {
  int errnum = 0;        ///< The errno value, or 0 when there was none.
  int exit_code = 0;     ///< The exit status the program should use (125, 126 or 127).
  std::string call;      ///< The failing step, for example `sethostname`.
  /// The whole line, for example `sethostname(x): Invalid argument`. For an
  /// EPERM under Ubuntu's AppArmor restriction, receive() adds a second line
  /// with the cause and the fix (see apparmor_userns_hint()).
  std::string message;
};

/// Carries a child's failure before exec back to the parent.
///
/// The pipe is `O_CLOEXEC`, so a successful exec closes the child's write end
/// and the parent reads plain end-of-file: "no news is good news". A failure
/// is one fixed-size record, written with a single write(2) smaller than
/// `PIPE_BUF`, so it can never arrive torn.
class ErrorChannel {
public:
  /// Creates the pipe (both ends `O_CLOEXEC`).
  ErrorChannel();

  /// Child side: runs \p child_steps. If they throw, writes the failure to the
  /// parent and returns its exit status (126/127 for an ExecError, 125
  /// otherwise); if they return, passes their status on.
  [[nodiscard]] int report_failures(const std::function<int()>& child_steps) noexcept;

  /// Parent side: closes the parent's copy of the write end and blocks until
  /// the child has exec'd or exited. Returns the failure, if one was sent.
  [[nodiscard]] std::optional<ChildFailure> receive();

  /// Parent side: the descriptor to poll(2) for the report (readable on a
  /// record or at end-of-file). Close the parent's write end first with
  /// close_write_end().
  [[nodiscard]] int read_fd() const noexcept { return pipe_.read_end.get(); }
  /// Parent side: drops the parent's copy of the write end.
  void close_write_end() noexcept;

private:
  void send(const ChildFailure& failure) noexcept;
  Pipe pipe_;
};

} // namespace nslab
