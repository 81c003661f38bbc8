// The checkpoint is part 2's lesson, so its unit tests grade part 2.
#include "nslab/checkpoint.hpp"

#include "gate.hpp"
#include "nslab/child.hpp"

#include <gtest/gtest.h>

namespace {

// Each test starts a real child (no new namespaces: flags 0) and reads its
// verdict from its exit status, so nothing depends on timing.
constexpr int kSawRelease = 10;
constexpr int kSawParentDied = 20;

int report_outcome(nslab::Checkpoint& checkpoint) {
  return checkpoint.wait() == nslab::Checkpoint::Outcome::kReleased ? kSawRelease : kSawParentDied;
}

TEST(Checkpoint, ChildSeesRelease) {
  nslab::Checkpoint checkpoint;
  nslab::Child child = nslab::clone_child(0, [&] { return report_outcome(checkpoint); });
  checkpoint.release();
  EXPECT_EQ(child.wait(), nslab::ExitStatus::exited(kSawRelease));
}

TEST(Checkpoint, ChildTellsParentDeathApartFromRelease) {
  nslab::Checkpoint checkpoint;
  nslab::Child child = nslab::clone_child(0, [&] { return report_outcome(checkpoint); });
  checkpoint.abandon(); // what the kernel does to the parent's ends when it dies
  EXPECT_EQ(child.wait(), nslab::ExitStatus::exited(kSawParentDied));
}

// The race behind orphaned containers: the parent writes the go byte and
// dies before the child even reached the checkpoint (or armed its
// parent-death signal). The byte is still in the pipe; only the missing
// writer shows that nobody is left to look after the child.
TEST(Checkpoint, GoByteFromAParentThatDiedMeansParentDied) {
  nslab::Checkpoint checkpoint;
  nslab::testing::Gate gate;
  nslab::Child child = nslab::clone_child(0, [&] {
    (void)gate.pass(); // hold the child until the "parent" is gone
    return report_outcome(checkpoint);
  });
  checkpoint.release();
  checkpoint.abandon(); // what the kernel does to the parent's ends when it dies
  gate.open();
  EXPECT_EQ(child.wait(), nslab::ExitStatus::exited(kSawParentDied));
}

} // namespace
