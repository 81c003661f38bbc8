#include "nslab/checkpoint.hpp"

#include "nslab/child.hpp"
#include "nslab/cli.hpp"

#include <cerrno>
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
