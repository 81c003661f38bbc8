#include "nslab/janitor.hpp"

#include "harness.hpp"
#include "nslab/unique_fd.hpp"
#include "text.hpp"

#include "nslab/error.hpp"

#include <cerrno>
#include <gtest/gtest.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using nslab::testing::read_file;
using nslab::testing::write_file;

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

constexpr int kHandle = 7;

TEST(Janitor, RemovesWhatItMadeWhenItsOwnerDiesWithoutDismissingIt) {
  const nslab::testing::TempDir dir;
  const std::string made = dir.path() + "/made";
  in_a_process_that_dies([&] {
    static nslab::Janitor<int> janitor(
        [&] {
          write_file(made, "resource");
          return kHandle;
        },
        [&](int handle) { write_file(made, "removed " + std::to_string(handle)); });
  });
  // The janitor was re-parented to this test (a subreaper); once it is gone,
  // it has done its work, with the handle its own create returned.
  EXPECT_TRUE(nslab::testing::leftover_processes().empty());
  EXPECT_EQ(read_file(made), "removed 7");
}

TEST(Janitor, HandsTheHandleBackAndDoesNothingOnceDismissed) {
  const nslab::testing::TempDir dir;
  const std::string made = dir.path() + "/made";
  {
    const nslab::Janitor<int> janitor(
        [&] {
          write_file(made, "resource");
          return kHandle;
        },
        [&](int) { write_file(made, "removed"); });
    EXPECT_EQ(janitor.handle(), kHandle);
    EXPECT_EQ(read_file(made), "resource") << "the janitor made it before the constructor returned";
  } // the destructor dismisses it and reaps it
  EXPECT_EQ(read_file(made), "resource");
  EXPECT_TRUE(nslab::testing::leftover_processes().empty());
}

TEST(Janitor, AFailedCreateComesBackAsTheError) {
  try {
    const nslab::Janitor<int> janitor([]() -> int { throw nslab::Error(EEXIST, "mq_open", "/q"); },
                                      [](int) {});
    ADD_FAILURE() << "the constructor returned";
  } catch (const nslab::Error& error) {
    EXPECT_EQ(error.code().value(), EEXIST);
    EXPECT_STREQ(error.what(), "mq_open(/q): File exists");
  }
  EXPECT_TRUE(nslab::testing::leftover_processes().empty());
}

TEST(Janitor, HoldsNoOtherDescriptorOpen) {
  nslab::Pipe pipe = nslab::make_pipe();
  const nslab::Janitor<int> janitor([] { return 0; }, [](int) {});
  // If the janitor had kept its copy of the write end, this read would
  // block instead of seeing end-of-file.
  pipe.write_end.reset();
  char byte = 0;
  EXPECT_EQ(nslab::read_retrying(pipe.read_end.get(), &byte, 1), 0);
}

} // namespace
