/// \file
/// \brief A child in new namespaces that holds still until the test lets it
/// run one step, then stays, so that the host can look at what it did.
#pragma once

#include "gate.hpp"
#include "nslab/child.hpp"
#include "nslab/unique_fd.hpp"

#include <functional>
#include <string>
#include <sys/types.h>

namespace nslab::testing {

/// Made with clone(2) in \p namespaces, the child waits at a Gate (not part
/// 2's Checkpoint, an exercise that is a stub in the student tree). Once
/// released it runs \p step, reports "ok" or the step's error over a pipe,
/// and stays alive, keeping its namespaces, until stop() or the destructor
/// kills it.
class GatedChild {
public:
  GatedChild(int namespaces, std::function<void()> step);

  /// The child's pid, as the test sees it.
  [[nodiscard]] pid_t pid() const noexcept { return child_.pid(); }

  /// Lets the child run its step and returns its report: "ok", or what the
  /// step threw (for a stub, "not implemented: partN...."). A bound of 10 s.
  [[nodiscard]] std::string release();

  /// Kills the child, so its namespaces die with it.
  void stop() { child_.kill_and_wait(); }

private:
  int main(const std::function<void()>& step);

  Gate gate_;
  Pipe report_;
  Child child_;
};

} // namespace nslab::testing
