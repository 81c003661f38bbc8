/// \file
/// \brief The checkpoint pipe: the child waits until the parent has finished
/// setting it up.
#pragma once

#include "nslab/unique_fd.hpp"

namespace nslab {

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
  /// PR_SET_PDEATHSIG before calling it (clone_child() does), so that a
  /// parent that dies after this check takes the child with it.
  [[nodiscard]] Outcome wait();
  /// Parent side: closes the read end and writes the "go" byte. The write
  /// end stays open until destruction, so keep the object alive as long as
  /// the child runs. Destroying it unreleased makes a waiting child see
  /// kParentDied.
  void release();

private:
  Pipe pipe_;
};

} // namespace nslab
