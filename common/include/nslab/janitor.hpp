/// \file
/// \brief Clean-up that happens even when the process is killed with SIGKILL.
#pragma once

#include "nslab/unique_fd.hpp"

#include <functional>
#include <sys/types.h>

namespace nslab {

/// Runs a clean-up step in a small helper process if this process dies
/// before dismissing it.
///
/// System V queues and POSIX message queues outlive the process that made
/// them, and SIGKILL cannot be caught, so no destructor can remove them
/// then. The janitor is forked when the object is created and blocks on a
/// pipe. dismiss() tells it "all cleaned up, go"; if it reads end-of-file
/// instead, its parent died without cleaning up, so it runs \p cleanup. It
/// sits in its own session, so Ctrl-C at the terminal does not reach it, and
/// holds no descriptor but its pipe, so it never keeps another pipe open.
class Janitor {
public:
  /// Forks the janitor; throws nslab::Error if fork(2) fails.
  explicit Janitor(const std::function<void()>& cleanup);
  Janitor(const Janitor&) = delete;
  Janitor& operator=(const Janitor&) = delete;
  /// Dismisses the janitor if that has not happened yet.
  ~Janitor() { dismiss(); }

  /// Tells the janitor its work is done and reaps it. Call it right after
  /// cleaning up yourself.
  void dismiss() noexcept;

private:
  pid_t pid_ = -1;
  UniqueFd dismissal_;
};

} // namespace nslab
