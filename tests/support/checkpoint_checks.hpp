/// \file
/// \brief The three ways a checkpoint's wait can end, each with a real child,
/// for any class with the checkpoint's interface: the library's
/// nslab::Checkpoint (tests/common) and part 2's own (tests/part2).
#pragma once

#include "gate.hpp"
#include "nslab/child.hpp"

#include <optional>
#include <utility>

namespace nslab::testing {

// Each check starts a real child (no new namespaces: flags 0) and reads its
// verdict from its exit status, so nothing depends on timing.
inline constexpr int kSawRelease = 10;
inline constexpr int kSawParentDied = 20;

template <typename Checkpoint>
int report_outcome(Checkpoint& checkpoint) {
  return checkpoint.wait() == Checkpoint::Outcome::kReleased ? kSawRelease : kSawParentDied;
}

/// How a child waiting at a checkpoint that the parent releases ends.
template <typename Checkpoint>
ExitStatus child_after_release() {
  Checkpoint checkpoint;
  Child child = clone_child(0, [&] { return report_outcome(checkpoint); });
  checkpoint.release();
  return child.wait();
}

/// How a child waiting at a checkpoint ends when the parent "dies":
/// destroying the parent's copy closes its ends, as the kernel does for a
/// parent that died.
template <typename Checkpoint>
ExitStatus child_after_parent_death() {
  std::optional<Checkpoint> checkpoint(std::in_place);
  Child child = clone_child(0, [&] { return report_outcome(*checkpoint); });
  checkpoint.reset();
  return child.wait();
}

/// The race behind orphaned containers: the parent writes the go byte and
/// dies before the child even reached the checkpoint (or armed its
/// parent-death signal). The byte is still in the pipe; only the missing
/// writer shows that nobody is left to look after the child.
template <typename Checkpoint>
ExitStatus child_after_go_byte_from_a_dead_parent() {
  std::optional<Checkpoint> checkpoint(std::in_place);
  Gate gate;
  Child child = clone_child(0, [&] {
    (void)gate.pass(); // hold the child until the "parent" is gone
    return report_outcome(*checkpoint);
  });
  checkpoint->release();
  checkpoint.reset();
  gate.open();
  return child.wait();
}

} // namespace nslab::testing
