#include "nslab/error.hpp"

#include <cerrno>
#include <fcntl.h>
#include <gtest/gtest.h>

namespace {

TEST(Error, MessageNamesStepObjectAndErrnoText) {
  const nslab::Error error(EINVAL, "pivot_root", "/srv/rootfs");
  EXPECT_STREQ(error.what(), "pivot_root(/srv/rootfs): Invalid argument");
  EXPECT_EQ(error.code().value(), EINVAL);
  EXPECT_EQ(error.call(), "pivot_root");
  EXPECT_EQ(error.object(), "/srv/rootfs");
}

TEST(Error, MessageWithoutObject) {
  EXPECT_STREQ(nslab::Error(EPERM, "clone").what(), "clone: Operation not permitted");
}

TEST(Error, AReasonOfItsOwnTakesTheErrnoTextsPlace) {
  const nslab::Error error(ENOSPC, "--ip", "", "no free /30 left in 169.254.0.0/16");
  EXPECT_STREQ(error.what(), "--ip: no free /30 left in 169.254.0.0/16");
  EXPECT_EQ(error.reason(), "no free /30 left in 169.254.0.0/16");
  EXPECT_STREQ(nslab::Error(0, "", "", "not implemented: part1.x").what(),
               "not implemented: part1.x");
}

TEST(Error, ExitCodeIs125AndAnExecErrorsIs127Or126) {
  EXPECT_EQ(nslab::Error(EINVAL, "mount").exit_code(), 125);
  EXPECT_EQ(nslab::ExecError(ENOENT, "nslab-missing").exit_code(), 127);
  EXPECT_EQ(nslab::ExecError(EACCES, "/etc").exit_code(), 126);
  EXPECT_STREQ(nslab::ExecError(ENOENT, "ls").what(), "exec(ls): No such file or directory");
}

TEST(Check, PassesResultsThroughAndThrowsOnMinusOne) {
  EXPECT_EQ(nslab::check(3, "x"), 3);
  try {
    (void)nslab::check(::open("/nonexistent/nslab", O_RDONLY), "open", "/nonexistent/nslab");
    FAIL() << "check did not throw";
  } catch (const nslab::Error& error) {
    EXPECT_EQ(error.code().value(), ENOENT);
    EXPECT_STREQ(error.what(), "open(/nonexistent/nslab): No such file or directory");
  }
}

} // namespace
