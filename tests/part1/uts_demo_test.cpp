// part1: uts-demo, checked from outside the namespace.
#include "harness.hpp"
#include "nslab/hostname.hpp"
#include "nslab/namespaces.hpp"

#include <csignal>
#include <fmt/core.h>
#include <fstream>
#include <gtest/gtest.h>
#include <regex>
#include <sys/stat.h>
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
    EXPECT_EQ(nslab::current_hostname(), host_hostname_);
    EXPECT_TRUE(leftover_processes().empty());
  }
  const std::string host_hostname_ = nslab::current_hostname();
};

TEST_F(UtsDemo, ChildSeesTheRequestedHostname) {
  const Result r = uts_demo({"-n", "nslab-box", "--", "hostname"});
  EXPECT_EQ(r.code(), 0) << r.describe();
  EXPECT_EQ(r.out, "nslab-box\n") << r.describe();
}

TEST_F(UtsDemo, DefaultHostnameIsTheArticles) {
  const Result r = uts_demo({"hostname"});
  EXPECT_EQ(r.code(), 0) << r.describe();
  EXPECT_EQ(r.out, "In Namespace\n") << r.describe();
}

TEST_F(UtsDemo, OnlyTheUtsNamespaceIsNew) {
  const Result r = uts_demo({"--", "readlink", "/proc/self/ns/uts", "/proc/self/ns/mnt",
                             "/proc/self/ns/ipc", "/proc/self/ns/net"});
  ASSERT_EQ(r.code(), 0) << r.describe();
  const auto mine = [](const char* kind) {
    return fmt::format("{}:[{}]", kind, nslab::namespace_id(::getpid(), nslab::namespace_kind(kind)));
  };
  EXPECT_EQ(r.out.find(mine("uts")), std::string::npos) << "child shares our UTS namespace\n" << r.out;
  for (const char* shared : {"mnt", "ipc", "net"}) {
    EXPECT_NE(r.out.find(mine(shared)), std::string::npos) << shared << " changed\n" << r.out;
  }
}

TEST_F(UtsDemo, VerboseShowsBothHostnamesAndTheTable) {
  const Result r = uts_demo({"-v", "-n", "nslab-box", "true"});
  EXPECT_EQ(r.code(), 0) << r.describe();
  EXPECT_NE(r.out.find(" Child: my hostname is now \"nslab-box\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(fmt::format("my hostname is still \"{}\"", host_hostname_)),
            std::string::npos) << r.out;
  // The table's uts row, and only that row, says NEW.
  EXPECT_TRUE(std::regex_search(r.out, std::regex("\nuts +[0-9]+ +[0-9]+ +NEW ")))  << r.out;
  EXPECT_FALSE(std::regex_search(r.out, std::regex("\n(ipc|mnt|net|pid|user) +[0-9]+ +[0-9]+ +NEW ")))
      << r.out;
}

TEST_F(UtsDemo, KillingTheParentTakesTheChildWithIt) {
  Running running = start(Command{{program("uts-demo"), "--", "sh", "-c", "echo started; exec sleep 30"}});
  ASSERT_TRUE(running.wait_for_output("started")) << running.out_so_far();
  running.send_signal(SIGKILL);
  EXPECT_EQ(running.finish().status, nslab::ExitStatus::killed(SIGKILL));
  // TearDown checks that the sleeping child did not outlive its parent.
}

TEST_F(UtsDemo, PassesTheCommandsExitStatusThrough) {
  EXPECT_EQ(uts_demo({"sh", "-c", "exit 7"}).code(), 7);
}

TEST_F(UtsDemo, CommandKilledBySignalGives128PlusN) {
  EXPECT_EQ(uts_demo({"sh", "-c", "kill -TERM $$"}).code(), 143);
}

TEST_F(UtsDemo, MissingCommandGives127WithOneLine) {
  const Result r = uts_demo({"nslab-no-such-command"});
  EXPECT_EQ(r.code(), 127) << r.describe();
  EXPECT_EQ(r.err, "uts-demo: exec(nslab-no-such-command): No such file or directory\n");
}

TEST_F(UtsDemo, NonExecutableCommandGives126) {
  const TempDir dir;
  const std::string script = dir.path() + "/not-executable";
  std::ofstream(script) << "#!/bin/sh\n";
  ::chmod(script.c_str(), 0644);
  const Result r = uts_demo({script});
  EXPECT_EQ(r.code(), 126) << r.describe();
  EXPECT_NE(r.err.find("Permission denied"), std::string::npos) << r.describe();
}

TEST_F(UtsDemo, TooLongHostnameGives125AndAReason) {
  const Result r = uts_demo({"-n", std::string(65, 'x'), "true"});
  EXPECT_EQ(r.code(), 125) << r.describe();
  EXPECT_EQ(r.err.substr(0, r.err.find('\n')), "uts-demo: -n: a hostname must be 1 to 64 bytes, got 65");
}

TEST_F(UtsDemo, BadOptionGives125ThenUsage) {
  const Result r = uts_demo({"--bogus"});
  EXPECT_EQ(r.code(), 125) << r.describe();
  EXPECT_EQ(r.err.rfind("uts-demo: unknown option --bogus\nUsage: uts-demo", 0), 0u) << r.err;
  EXPECT_TRUE(r.out.empty());
}

TEST_F(UtsDemo, HelpGoesToStdoutAndExits0) {
  const Result r = uts_demo({"-h"});
  EXPECT_EQ(r.code(), 0) << r.describe();
  EXPECT_EQ(r.out.rfind("Usage: uts-demo", 0), 0u) << r.out;
  EXPECT_TRUE(r.err.empty());
}

} // namespace
