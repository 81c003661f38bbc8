// The checkpoint pipe, part 2's exercise: the child waits until the parent
// has finished setting it up.
//
// The common library has the same checkpoint, finished, as nslab::Checkpoint:
// clone_child() uses it for parts 3 and 4 (nslab::Start::kWhenReleased). This
// copy is yours and ipc-checkpoint's alone, so it is graded on its own, and
// until it is written only part 2's checks fail.
#pragma once

#include "nslab/unique_fd.hpp"

namespace ipc_checkpoint {

/// A one-shot "go" signal from parent to child, built on a pipe.
///
/// Create it before clone(2); both processes then hold both ends. The child
/// calls wait(), the parent calls release(). The child closes its copy of the
/// write end *before* it reads: otherwise the pipe would still have a writer
/// (the child itself) after the parent died, and read(2) would block forever
/// instead of returning end-of-file.
///
/// The parent keeps its write end open after the "go" byte, for as long as it
/// lives: the byte alone cannot say whether the parent is still there (it
/// stays in the pipe after the parent died), the open write end can. See
/// wait().
class Checkpoint {
public:
  /// How the child's wait ended.
  enum class Outcome {
    kReleased,   ///< The parent wrote the "go" byte.
    kParentDied, ///< End-of-file with no byte: the parent is gone.
  };

  /// Creates the pipe (both ends `O_CLOEXEC`).
  Checkpoint();

  /// Child side: closes the write end, then blocks until released or orphaned.
  /// A "go" byte whose writer has already gone reads as kParentDied. Arm
  /// PR_SET_PDEATHSIG before calling it (nslab::clone_child() does), so that a
  /// parent that dies after this check takes the child with it.
  [[nodiscard]] Outcome wait();
  /// Parent side: closes the read end and writes the "go" byte. The write
  /// end stays open until abandon() or destruction, so keep the object alive
  /// as long as the child runs.
  void release();
  /// Parent side: closes both ends, so a waiting child sees kParentDied.
  /// Destroying the object does the same.
  void abandon() noexcept;

private:
  nslab::Pipe pipe_;
};

} // namespace ipc_checkpoint
