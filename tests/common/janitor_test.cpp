#include "nslab/janitor.hpp"

#include "harness.hpp"
#include "nslab/unique_fd.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

// Runs \p body in a forked process that then exits at once, as a program
// killed without cleaning up would; returns when that process is gone.
template <typename Body>
void in_a_process_that_dies(Body body) {
  nslab::testing::adopt_orphans(); // so the janitor comes to us, not to init
  const pid_t pid = ::fork();
  if (pid == 0) {
    body();
    ::_exit(0); // no destructors: the Janitor is never dismissed
  }
  ::waitpid(pid, nullptr, 0);
}

void touch(const std::string& path) { std::ofstream(path) << "cleaned\n"; }

TEST(Janitor, CleansUpWhenItsOwnerDiesWithoutDismissingIt) {
  const nslab::testing::TempDir dir;
  const std::string marker = dir.path() + "/cleaned";
  in_a_process_that_dies([&] { static nslab::Janitor janitor([&] { touch(marker); }); });
  // The janitor was re-parented to this test (a subreaper); once it is gone,
  // it has done its work.
  EXPECT_TRUE(nslab::testing::leftover_processes().empty());
  EXPECT_TRUE(std::filesystem::exists(marker));
}

TEST(Janitor, DoesNothingOnceDismissed) {
  const nslab::testing::TempDir dir;
  const std::string marker = dir.path() + "/cleaned";
  {
    nslab::Janitor janitor([&] { touch(marker); });
  } // the destructor dismisses it and reaps it
  EXPECT_FALSE(std::filesystem::exists(marker));
}

TEST(Janitor, HoldsNoOtherDescriptorOpen) {
  nslab::Pipe pipe = nslab::make_pipe();
  nslab::Janitor janitor([] {});
  // If the janitor had kept its copy of the write end, this read would
  // block instead of seeing end-of-file.
  pipe.write_end.reset();
  char byte = 0;
  EXPECT_EQ(nslab::read_retrying(pipe.read_end.get(), &byte, 1), 0);
}

} // namespace
