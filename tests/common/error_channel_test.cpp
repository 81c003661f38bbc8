// The error channel as the child lifecycle uses it: every clone_child child
// reports a failure before exec, and the parent gets it as fields.
#include "nslab/error_channel.hpp"

#include "nslab/child.hpp"

#include <cerrno>
#include <gtest/gtest.h>

namespace {

TEST(ErrorChannel, SuccessfulExecSendsNothing) {
  nslab::Child child = nslab::clone_child(0, []() -> int { nslab::exec_command({"true"}); });
  EXPECT_FALSE(child.failure().has_value());
  EXPECT_EQ(child.wait(), nslab::ExitStatus::exited(0));
}

TEST(ErrorChannel, CarriesAFailedStepToTheParentAsFields) {
  nslab::Child child =
      nslab::clone_child(0, []() -> int { throw nslab::Error(EINVAL, "pivot_root", "/srv"); });
  const auto failure = child.failure();
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(failure->call, "pivot_root");
  EXPECT_EQ(failure->object, "/srv");
  EXPECT_EQ(failure->errnum, EINVAL);
  EXPECT_FALSE(failure->exec_failed);
  EXPECT_TRUE(failure->failed_at("pivot_root", "/srv"));
  EXPECT_EQ(failure->message(), "pivot_root(/srv): Invalid argument");
  EXPECT_EQ(child.wait(), nslab::ExitStatus::exited(125));
  EXPECT_FALSE(child.failure().has_value()) << "a report is received once";
}

TEST(ErrorChannel, AnyOtherExceptionArrivesAsItsText) {
  nslab::Child child =
      nslab::clone_child(0, []() -> int { throw std::logic_error("not implemented: part9.x"); });
  const auto failure = child.failure();
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(failure->message(), "not implemented: part9.x");
  EXPECT_EQ(child.wait(), nslab::ExitStatus::exited(125));
}

TEST(ErrorChannel, ExecFailureIsThrownAgainWith127Or126) {
  for (const auto& [command, expected] :
       {std::pair{"/nonexistent/nslab-command", 127}, std::pair{"/etc", 126}}) {
    nslab::Child child =
        nslab::clone_child(0, [command = command]() -> int { nslab::exec_command({command}); });
    try {
      child.wait_for_exec();
      ADD_FAILURE() << command << ": the failed exec was not thrown";
    } catch (const nslab::ExecError& error) {
      EXPECT_EQ(error.exit_code(), expected) << error.what();
      EXPECT_EQ(error.object(), command);
    }
    EXPECT_EQ(child.wait(), nslab::ExitStatus::exited(expected));
  }
}

} // namespace
