// The library's checkpoint, which clone_child uses for parts 3 and 4 (part 2
// has its own, the student's; tests/part2 checks that one).
#include "nslab/checkpoint.hpp"

#include "checkpoint_checks.hpp"

#include <gtest/gtest.h>

namespace {

using namespace nslab::testing;

TEST(Checkpoint, ChildSeesRelease) {
  EXPECT_EQ(child_after_release<nslab::Checkpoint>(), nslab::ExitStatus::exited(kSawRelease));
}

TEST(Checkpoint, ChildTellsParentDeathApartFromRelease) {
  EXPECT_EQ(child_after_parent_death<nslab::Checkpoint>(),
            nslab::ExitStatus::exited(kSawParentDied));
}

TEST(Checkpoint, GoByteFromAParentThatDiedMeansParentDied) {
  EXPECT_EQ(child_after_go_byte_from_a_dead_parent<nslab::Checkpoint>(),
            nslab::ExitStatus::exited(kSawParentDied));
}

} // namespace
