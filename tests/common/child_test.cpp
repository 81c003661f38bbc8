#include "nslab/child.hpp"

#include "gate.hpp"
#include "nslab/hostname.hpp"
#include "nslab/namespaces.hpp"
#include "nslab/signals.hpp"
#include "nslab/supervise.hpp"

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <gtest/gtest.h>
#include <sched.h>
#include <string>
#include <unistd.h>

namespace {

using namespace std::chrono_literals;

// A new user namespace comes with every capability inside it, so these tests
// can create a UTS namespace whether or not they run as root.
constexpr int kOwnUts = CLONE_NEWUSER | CLONE_NEWUTS;

TEST(CloneChild, ChildRunsInTheRequestedNamespaces) {
  const std::string host_hostname = nslab::current_hostname();
  nslab::testing::Gate gate;
  nslab::Child child = nslab::clone_child(kOwnUts, [&] {
    nslab::set_hostname("nslab-child");
    return gate.pass() ? 0 : 1;
  });
  const auto& uts = nslab::namespace_kind("uts");
  const auto& net = nslab::namespace_kind("net");
  EXPECT_NE(nslab::namespace_id(child.pid(), uts), nslab::namespace_id(::getpid(), uts));
  EXPECT_EQ(nslab::namespace_id(child.pid(), net), nslab::namespace_id(::getpid(), net));
  gate.open();
  EXPECT_EQ(child.wait(), nslab::ExitStatus::exited(0));
  if (nslab::current_hostname() != host_hostname) {
    ADD_FAILURE() << "the child changed the host's hostname";
    nslab::set_hostname(host_hostname); // put it back
  }
}

TEST(CloneChild, ExitStatusAndSignalAreDecoded) {
  EXPECT_EQ(nslab::clone_child(0, [] { return 42; }).wait(), nslab::ExitStatus::exited(42));
  EXPECT_EQ(nslab::clone_child(0,
                               [] {
                                 ::raise(SIGKILL);
                                 return 0;
                               })
                .wait(),
            nslab::ExitStatus::killed(SIGKILL));
}

// Reads /proc/self/maps in the child: the mapping that holds the child's
// stack must have an inaccessible page directly below it.
bool stack_has_guard_page_below() {
  const int on_the_stack = 0;
  const auto here = reinterpret_cast<std::uintptr_t>(&on_the_stack);
  std::ifstream maps("/proc/self/maps");
  std::string line;
  std::uintptr_t previous_end = 0;
  std::string previous_perms;
  while (std::getline(maps, line)) {
    std::uintptr_t start = 0;
    std::uintptr_t end = 0;
    char perms[5] = {};
    if (std::sscanf(line.c_str(), "%lx-%lx %4s", &start, &end, perms) != 3) {
      continue;
    }
    if (start <= here && here < end) {
      return previous_end == start && previous_perms == "---p";
    }
    previous_end = end;
    previous_perms = perms;
  }
  return false;
}

TEST(CloneChild, StackHasAGuardPageBelowIt) {
  EXPECT_EQ(nslab::clone_child(0, [] { return stack_has_guard_page_below() ? 0 : 1; }).wait(),
            nslab::ExitStatus::exited(0));
}

// Deep enough that the 1 MiB stack always runs out first.
volatile int recursion_limit = 1 << 30;

int recurse_deeply(int depth) {
  volatile char frame[512];
  frame[0] = static_cast<char>(depth);
  return depth < recursion_limit ? recurse_deeply(depth + 1) + frame[0] : 0;
}

TEST(CloneChild, StackOverflowHitsTheGuardPage) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer catches the overflow itself and exits with its own report, "
                  "never letting the SIGSEGV through; StackHasAGuardPageBelowIt still checks "
                  "the page";
#endif
  EXPECT_EQ(nslab::clone_child(0, [] { return recurse_deeply(0); }).wait(),
            nslab::ExitStatus::killed(SIGSEGV));
}

TEST(CloneChild, WhenReleasedTheChildRunsAfterTheRelease) {
  nslab::Child child = nslab::clone_child(
      0, [] { return 7; }, nslab::Start::kWhenReleased);
  child.release();
  EXPECT_EQ(child.wait(), nslab::ExitStatus::exited(7));
}

TEST(Child, DestructorKillsAndReapsARunningChild) {
  pid_t pid = 0;
  {
    nslab::testing::Gate gate;
    nslab::Child child = nslab::clone_child(0, [&] {
      (void)gate.pass();
      return 0;
    });
    pid = child.pid();
    // The gate outlives the child here, so it is still blocked.
  }
  EXPECT_EQ(::kill(pid, 0), -1);
  EXPECT_EQ(errno, ESRCH);
}

TEST(Child, WaitForGivesUpAtTheTimeout) {
  nslab::testing::Gate gate;
  nslab::Child child = nslab::clone_child(0, [&] {
    (void)gate.pass();
    return 3;
  });
  EXPECT_FALSE(child.wait_for(10ms).has_value());
  gate.open();
  EXPECT_EQ(child.wait_for(5000ms), nslab::ExitStatus::exited(3));
}

TEST(Supervise, ForwardsASignalSentToTheParent) {
  nslab::SignalFd signals;
  nslab::Child child = nslab::clone_child(0, [] {
    nslab::restore_signals_for_exec();
    ::pause();
    return 0;
  });
  ::kill(::getpid(), SIGTERM); // blocked here, so it waits in the signalfd
  EXPECT_EQ(nslab::wait_forwarding_signals(child, signals), nslab::ExitStatus::killed(SIGTERM));
}

TEST(Supervise, KillsAChildThatIgnoresSignalsAfterTheGrace) {
  nslab::SignalFd signals;
  nslab::Child child = nslab::clone_child(0, [] {
    ::signal(SIGTERM, SIG_IGN); // like a PID 1 with no handler
    nslab::restore_signals_for_exec();
    while (true) {
      ::pause();
    }
    return 0;
  });
  ::kill(::getpid(), SIGTERM);
  EXPECT_EQ(nslab::wait_forwarding_signals(child, signals, 50ms),
            nslab::ExitStatus::killed(SIGKILL));
}

} // namespace
