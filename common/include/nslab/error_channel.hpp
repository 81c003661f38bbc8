/// \file
/// \brief The error channel: the child reports a failure before exec back to
/// the parent.
#pragma once

#include "nslab/error.hpp"
#include "nslab/unique_fd.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace nslab {

/// What a child reported over the ErrorChannel before it could exec: the
/// fields of the error it failed with, so the parent can tell one step from
/// another without reading the message.
struct ChildFailure {
  std::string call;         ///< The failing step, e.g. `sethostname`; may be empty.
  std::string object;       ///< What the step acted on, e.g. a path; may be empty.
  int errnum = 0;           ///< The errno value, or 0 when there was none.
  std::string reason;       ///< What went wrong, e.g. the errno text.
  bool exec_failed = false; ///< True when exec itself failed: 126 or 127.

  /// True when the child failed at \p step on \p step_object.
  [[nodiscard]] bool failed_at(std::string_view step, std::string_view step_object) const {
    return call == step && object == step_object;
  }
  /// The child's line, for example `sethostname(x): Invalid argument`.
  [[nodiscard]] std::string message() const;
  /// The error again, in the parent: an ExecError when exec failed, else an
  /// Error. Its `what()` is message().
  [[noreturn]] void raise() const;
};

/// Carries a child's failure before exec back to the parent. clone_child()
/// makes one for every child.
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

  /// Parent side: drops the parent's copy of the write end, so that the read
  /// end sees end-of-file once the child has exec'd or exited.
  void close_write_end() noexcept;
  /// Parent side: the descriptor to poll(2) for the report (readable on a
  /// record or at end-of-file); -1 once receive() has read it.
  [[nodiscard]] int read_fd() const noexcept { return pipe_.read_end.get(); }
  /// Parent side: blocks until the child has exec'd or exited, and returns
  /// the failure, if one was sent. A report is received once: a second call
  /// returns nothing.
  [[nodiscard]] std::optional<ChildFailure> receive();

private:
  Pipe pipe_;
};

} // namespace nslab
