// part1: uts-demo, checked from outside the namespace.
#include "harness.hpp"
#include "nslab/hostname.hpp"
#include "nslab/namespaces.hpp"
#include "why.hpp"

#include <csignal>
#include <fmt/core.h>
#include <gtest/gtest.h>
#include <regex>
#include <unistd.h>

namespace {

using namespace nslab::testing;

Result uts_demo(std::vector<std::string> arguments) {
  arguments.insert(arguments.begin(), program("uts-demo"));
  return run(Command{arguments});
}

class UtsDemo : public ::testing::Test {
protected:
  // Every test must leave the host's hostname and process list as it found them.
  void TearDown() override {
    EXPECT_EQ(nslab::current_hostname(), host_hostname_)
        << why(fmt::format("the host's hostname changed from {} to {}: sethostname ran outside "
                           "the new UTS namespace",
                           in_quotes(host_hostname_), in_quotes(nslab::current_hostname())));
    EXPECT_TRUE(leftover_processes().empty())
        << why("a process of the run was still running on the host after uts-demo ended");
  }
  const std::string host_hostname_ = nslab::current_hostname();
};

TEST_F(UtsDemo, ChildSeesTheRequestedHostname) {
  const Result r = uts_demo({"-n", "nslab-box", "--", "hostname"});
  EXPECT_EQ(r.code(), 0) << exited(r, 0);
  EXPECT_EQ(r.out, "nslab-box\n") << printed(r, "nslab-box");
}

TEST_F(UtsDemo, DefaultHostnameIsTheArticles) {
  const Result r = uts_demo({"hostname"});
  EXPECT_EQ(r.code(), 0) << exited(r, 0);
  EXPECT_EQ(r.out, "In Namespace\n") << printed(r, "In Namespace");
}

TEST_F(UtsDemo, OnlyTheUtsNamespaceIsNew) {
  // A namespace is named by the device and the inode of its /proc file
  // (namespaces(7)); stat -L shows both for the child's own.
  const Result r = uts_demo({"--", "stat", "-L", "-c", "%n %d:%i", "/proc/self/ns/uts",
                             "/proc/self/ns/mnt", "/proc/self/ns/ipc", "/proc/self/ns/net"});
  ASSERT_EQ(r.code(), 0) << exited(r, 0);
  const auto mine = [](const char* kind) {
    const nslab::NamespaceId id = nslab::namespace_id(::getpid(), nslab::namespace_kind(kind));
    return fmt::format("/proc/self/ns/{} {}:{}\n", kind, id.device, id.inode);
  };
  EXPECT_EQ(r.out.find(mine("uts")), std::string::npos)
      << why(r, "shows the test's own UTS namespace: the child needs a new one (CLONE_NEWUTS)");
  for (const char* shared : {"mnt", "ipc", "net"}) {
    EXPECT_NE(r.out.find(mine(shared)), std::string::npos) << why(
        r, fmt::format("shows a new {} namespace: only the UTS namespace may be new", shared));
  }
}

TEST_F(UtsDemo, VerboseShowsBothHostnamesAndTheTable) {
  const Result r = uts_demo({"-v", "-n", "nslab-box", "true"});
  EXPECT_EQ(r.code(), 0) << exited(r, 0);
  EXPECT_NE(r.out.find(" Child: my hostname is now \"nslab-box\""), std::string::npos)
      << lacks(r, " Child: my hostname is now \"nslab-box\"");
  const std::string still = fmt::format("my hostname is still \"{}\"", host_hostname_);
  EXPECT_NE(r.out.find(still), std::string::npos) << lacks(r, still);
  // The table's uts row, and only that row, says NEW.
  EXPECT_TRUE(std::regex_search(r.out, std::regex("\nuts +[0-9]+ +[0-9]+ +NEW ")))
      << why(r, "printed no namespace table whose uts row says NEW");
  EXPECT_FALSE(
      std::regex_search(r.out, std::regex("\n(ipc|mnt|net|pid|user) +[0-9]+ +[0-9]+ +NEW ")))
      << why(r, "printed a namespace table where a row other than uts says NEW");
}

TEST_F(UtsDemo, KillingTheParentTakesTheChildWithIt) {
  Running running =
      start(Command{{program("uts-demo"), "--", "sh", "-c", "echo started; exec sleep 30"}});
  ASSERT_TRUE(running.wait_for_output("started")) << never_printed(running, "started");
  running.send_signal(SIGKILL);
  const Result r = running.finish();
  EXPECT_EQ(r.status, nslab::ExitStatus::killed(SIGKILL)) << why(r, "was not killed by SIGKILL");
  // TearDown checks that the sleeping child did not outlive its parent.
}

TEST_F(UtsDemo, PassesTheCommandsExitStatusThrough) {
  const Result r = uts_demo({"sh", "-c", "exit 7"});
  EXPECT_EQ(r.code(), 7) << exited(r, 7);
}

TEST_F(UtsDemo, CommandKilledBySignalGives128PlusN) {
  const Result r = uts_demo({"sh", "-c", "kill -TERM $$"});
  EXPECT_EQ(r.code(), 143) << exited(r, 143);
}

TEST_F(UtsDemo, TooLongHostnameGives125AndAReason) {
  const Result r = uts_demo({"-n", std::string(65, 'x'), "true"});
  EXPECT_EQ(r.code(), 125) << exited(r, 125);
  EXPECT_EQ(r.err.substr(0, r.err.find('\n')),
            "uts-demo: -n: a hostname must be 1 to 64 bytes, got 65")
      << complained(r, "uts-demo: -n: a hostname must be 1 to 64 bytes, got 65");
}

} // namespace
