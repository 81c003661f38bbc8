#include "nslab/exit_status.hpp"

#include <cerrno>
#include <csignal>
#include <gtest/gtest.h>

namespace {

TEST(ExitStatus, DecodesAnExitCode) {
  siginfo_t info{};
  info.si_code = CLD_EXITED;
  info.si_status = 7;
  const auto status = nslab::ExitStatus::from_siginfo(info);
  EXPECT_FALSE(status.signaled());
  EXPECT_EQ(status.shell_status(), 7);
  EXPECT_EQ(status.describe(), "exited with 7");
}

TEST(ExitStatus, DecodesASignalAs128PlusN) {
  siginfo_t info{};
  info.si_code = CLD_KILLED;
  info.si_status = SIGTERM;
  const auto status = nslab::ExitStatus::from_siginfo(info);
  EXPECT_TRUE(status.signaled());
  EXPECT_EQ(status.shell_status(), 143);
  EXPECT_EQ(status.describe(), "killed by SIGTERM");
}

TEST(ExitStatus, CoreDumpCountsAsSignal) {
  siginfo_t info{};
  info.si_code = CLD_DUMPED;
  info.si_status = SIGSEGV;
  EXPECT_EQ(nslab::ExitStatus::from_siginfo(info).shell_status(), 128 + SIGSEGV);
}

TEST(ExitStatus, ExecErrnoMapsTo127Or126) {
  EXPECT_EQ(nslab::exit_code_for_exec_errno(ENOENT), 127);
  EXPECT_EQ(nslab::exit_code_for_exec_errno(EACCES), 126);
  EXPECT_EQ(nslab::exit_code_for_exec_errno(ENOEXEC), 126);
}

} // namespace
