// The harness is what every lab test trusts, so it gets tests of its own.
#include "harness.hpp"

#include <csignal>
#include <gtest/gtest.h>
#include <string>
#include <unistd.h>

namespace {

using namespace nslab::testing;
using namespace std::chrono_literals;

TEST(Harness, CapturesOutputInputAndStatus) {
  const Result r = run({{"sh", "-c", "read line; echo out:$line; echo err >&2; exit 3"}, "hi\n"});
  EXPECT_EQ(r.out, "out:hi\n") << r.describe();
  EXPECT_EQ(r.err, "err\n") << r.describe();
  EXPECT_EQ(r.code(), 3) << r.describe();
  EXPECT_FALSE(r.timed_out);
}

TEST(Harness, ReportsSignalsAs128PlusN) {
  const Result r = run({{"sh", "-c", "kill -TERM $$"}});
  EXPECT_EQ(r.code(), 143) << r.describe();
}

TEST(Harness, KillsAProgramThatOverrunsItsTimeout) {
  Command command{{"sleep", "30"}};
  command.timeout = 100ms;
  const Result r = run(command);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.status, nslab::ExitStatus::killed(SIGKILL));
}

TEST(Harness, SeesProcessesAProgramLeavesBehind) {
  const Result r = run({{"sh", "-c", "sleep 30 >/dev/null 2>&1 & echo $!"}});
  ASSERT_EQ(r.code(), 0) << r.describe();
  const pid_t orphan = std::stoi(r.out);
  const auto leftovers = leftover_processes(50ms);
  EXPECT_NE(std::find(leftovers.begin(), leftovers.end(), orphan), leftovers.end());
  ::kill(orphan, SIGKILL);
  EXPECT_TRUE(leftover_processes().empty());
}

TEST(Harness, WaitsForOutputWithoutSleeping) {
  Command command{{"sh", "-c", "echo ready; read never"}};
  command.close_stdin = false;
  Running running = start(command);
  EXPECT_TRUE(running.wait_for_output("ready"));
  running.send_signal(SIGTERM);
  EXPECT_EQ(running.finish().code(), 143);
}

TEST(Harness, UniqueNamesDiffer) { EXPECT_NE(unique_name("/q"), unique_name("/q")); }

} // namespace

TEST(Harness, RootlessRunsAsNobodyWithoutGroupsWhenTheTestIsRoot) {
  Command command({"sh", "-c", "id -u; id -g; id -G"});
  command.root_in_user_namespace = false;
  command.rootless = true;
  const Result r = run(command);
  ASSERT_EQ(r.code(), 0) << r.describe();
  if (::geteuid() == 0) { // the ids below are what the option promises, not a probe
    EXPECT_EQ(r.out, "65534\n65534\n65534\n") << r.describe();
  } else {
    EXPECT_EQ(r.out.substr(0, r.out.find('\n')), std::to_string(::geteuid())) << r.describe();
  }
}
