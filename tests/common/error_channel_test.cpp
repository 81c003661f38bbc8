#include "nslab/error_channel.hpp"

#include "nslab/child.hpp"

#include <cerrno>
#include <gtest/gtest.h>

namespace {

TEST(ErrorChannel, SuccessfulExecSendsNothing) {
  nslab::ErrorChannel errors;
  nslab::Child child = nslab::clone_child(0, [&] {
    return errors.report_failures([] { nslab::exec_command({"true"}); return 0; });
  });
  EXPECT_FALSE(errors.receive().has_value());
  EXPECT_EQ(child.wait(), nslab::ExitStatus::exited(0));
}

TEST(ErrorChannel, CarriesAFailedStepToTheParent) {
  nslab::ErrorChannel errors;
  nslab::Child child = nslab::clone_child(0, [&] {
    return errors.report_failures([]() -> int { throw nslab::Error(EINVAL, "pivot_root", "/srv"); });
  });
  const auto failure = errors.receive();
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(failure->message, "pivot_root(/srv): Invalid argument");
  EXPECT_EQ(failure->call, "pivot_root");
  EXPECT_EQ(failure->errnum, EINVAL);
  EXPECT_EQ(failure->exit_code, 125);
  EXPECT_EQ(child.wait(), nslab::ExitStatus::exited(125));
}

TEST(ErrorChannel, ExecFailureCarries127And126) {
  for (const auto& [command, expected] :
       {std::pair{"/nonexistent/nslab-command", 127}, std::pair{"/etc", 126}}) {
    nslab::ErrorChannel errors;
    nslab::Child child = nslab::clone_child(0, [&] {
      return errors.report_failures([&] { nslab::exec_command({command}); return 0; });
    });
    const auto failure = errors.receive();
    ASSERT_TRUE(failure.has_value()) << command;
    EXPECT_EQ(failure->exit_code, expected) << failure->message;
    EXPECT_EQ(child.wait(), nslab::ExitStatus::exited(expected));
  }
}

} // namespace
