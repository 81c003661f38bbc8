// Part 2's own checkpoint (part2-ipc/checkpoint.cpp), the student's code,
// checked on its own with real children.
#include "checkpoint.hpp"

#include "checkpoint_checks.hpp"
#include "why.hpp"

#include <gtest/gtest.h>

namespace {

using ipc_checkpoint::Checkpoint;
using namespace nslab::testing;

TEST(Checkpoint, ChildSeesRelease) {
  EXPECT_EQ(child_after_release<Checkpoint>(), nslab::ExitStatus::exited(kSawRelease))
      << why("the child's Checkpoint::wait() did not return kReleased after the parent's "
             "release()");
}

TEST(Checkpoint, ChildTellsParentDeathApartFromRelease) {
  EXPECT_EQ(child_after_parent_death<Checkpoint>(), nslab::ExitStatus::exited(kSawParentDied))
      << why("the child's Checkpoint::wait() did not return kParentDied when the pipe closed "
             "without a go byte (end-of-file)");
}

TEST(Checkpoint, GoByteFromAParentThatDiedMeansParentDied) {
  EXPECT_EQ(child_after_go_byte_from_a_dead_parent<Checkpoint>(),
            nslab::ExitStatus::exited(kSawParentDied))
      << why("the child's Checkpoint::wait() did not return kParentDied for a go byte whose "
             "writer had gone (POLLHUP)");
}

} // namespace
