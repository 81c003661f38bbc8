// Fault injection: each program is killed with SIGKILL at spread moments of
// its setup, and the host must show nothing of it afterwards: no process (the
// test is a child subreaper, so any orphan comes to it), no queue, no link,
// no mount, no cgroup.
//
// SIGKILL cannot be caught, so only what was arranged *before* each step
// cleans up after it: the parent-death signal and the checkpoint's lifeline
// for the child, the janitor for part 3's queue and the cgroup, the kernel
// for part 2's queue (in an IPC namespace that dies with the run) and the
// veth pair. A run killed between two of those arrangements is exactly what
// these checks look for.
//
// Kill points come two ways. Observed: with -v every program prints a line
// per step, and a run is killed the moment its N-th line appears, so every
// step boundary is hit whatever the machine's speed. Timed: a run is killed
// a given number of microseconds after it started, spread over the whole
// setup, which also lands *inside* steps that print nothing.

#include "harness.hpp"
#include "host_state.hpp"
#include "netlink.hpp"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <fmt/core.h>
#include <gtest/gtest.h>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

using nslab::testing::Command;
using nslab::testing::HostState;
using nslab::testing::Result;
using nslab::testing::Running;
using std::chrono::microseconds;
using std::chrono::milliseconds;

/// One program's way to run, to be killed while it sets up.
struct Scenario {
  std::vector<std::string>
      argv;          ///< with -v, ending in `sleep 30`; "{queue}" becomes a fresh queue name
  std::string input; ///< written to stdin
  bool makes_own_user_namespace = false; ///< isolate: run as the test's own user
  int timed_runs = 0;                    ///< runs killed after a delay
  microseconds span{0};                  ///< the delays spread over 0..span
};

/// The step lines a full run prints with -v ("Parent: ..." and " Child: ..."),
/// cut before anything that changes between runs: the kill points to observe.
std::vector<std::string> step_lines(const Scenario& scenario, std::vector<std::string> argv) {
  Command whole(std::move(argv), scenario.input);
  whole.root_in_user_namespace = !scenario.makes_own_user_namespace;
  const Result r = nslab::testing::run(whole);
  std::vector<std::string> steps;
  std::size_t start = 0;
  while (start < r.out.size()) {
    const std::size_t end = r.out.find('\n', start);
    const std::string line = r.out.substr(start, end - start);
    start = end == std::string::npos ? r.out.size() : end + 1;
    if (line.starts_with("Parent: ") || line.starts_with(" Child: ")) {
      // Up to the timing column, or the first number (a pid, a queue id),
      // which differs from run to run.
      steps.push_back(line.substr(0, std::min(line.find("  "), line.find_first_of("0123456789"))));
    }
  }
  // The last line reports how the run ended, which a killed run never reaches.
  if (!steps.empty()) {
    steps.pop_back();
  }
  return steps;
}

class KillDuringSetup : public ::testing::Test {
protected:
  void SetUp() override { before_ = HostState::now(); }

  void TearDown() override {
    EXPECT_EQ(nslab::testing::left_behind(before_), "") << "after " << runs_ << " killed runs";
    RecordProperty("killed_runs", runs_);
  }

  /// Starts \p scenario with a fresh queue name, lets \p kill_point decide
  /// when, kills it, and checks that nothing of it is left.
  template <typename KillPoint>
  void run_and_kill(const Scenario& scenario, const std::string& label, KillPoint kill_point) {
    const std::string queue = nslab::testing::unique_name("/nslab-fault");
    std::vector<std::string> argv = scenario.argv;
    for (std::string& word : argv) {
      if (word == "{queue}") {
        word = queue;
      }
    }
    Command command(argv, scenario.input);
    command.root_in_user_namespace = !scenario.makes_own_user_namespace;
    Running running = nslab::testing::start(command);
    const pid_t program = running.pid();
    kill_point(running);
    running.send_signal(SIGKILL);
    const Result r = running.finish();
    ++runs_;
    EXPECT_EQ(r.code(), 128 + SIGKILL) << label << ": ended before the kill\n" << r.describe();
    const auto left = nslab::testing::leftover_processes();
    EXPECT_TRUE(left.empty()) << label << ": " << left.size() << " process(es) left, the first "
                              << (left.empty() ? 0 : left.front()) << "\n"
                              << r.describe();
    for (const pid_t pid : left) {
      ::kill(pid, SIGKILL); // so that one failure does not hold up the rest
    }
    (void)nslab::testing::leftover_processes();
    EXPECT_FALSE(nslab::testing::posix_queue_exists(queue))
        << label << ": queue " << queue << " was left behind";
    EXPECT_EQ(nslab::testing::isolate_cgroups_of(program), std::set<std::string>{})
        << label << ": its cgroup was left behind";
  }

  /// Kills one run as each step line of \p scenario appears, then
  /// scenario.timed_runs runs after spread delays.
  void kill_everywhere(const Scenario& scenario) {
    // The reference run gets a queue name of its own too, and ends at once:
    // its COMMAND `sleep 30` becomes `sleep 0`, which prints the same steps.
    std::vector<std::string> reference = scenario.argv;
    reference.back() = "0";
    for (std::string& word : reference) {
      if (word == "{queue}") {
        word = nslab::testing::unique_name("/nslab-fault");
      }
    }
    const std::vector<std::string> steps = step_lines(scenario, reference);
    ASSERT_FALSE(steps.empty()) << "the program printed no steps with -v";
    for (const std::string& step : steps) {
      run_and_kill(scenario, "killed at '" + step + "'", [&](Running& running) {
        (void)running.wait_for_output(step, milliseconds{5000});
      });
    }
    for (int run = 0; run < scenario.timed_runs; ++run) {
      const microseconds delay = scenario.span * run / scenario.timed_runs;
      run_and_kill(scenario, fmt::format("killed after {} us", delay.count()), [&](Running&) {
        // The delay is the fault being injected, not a wait for
        // anything: any moment must be safe.
        std::this_thread::sleep_for(delay);
      });
    }
  }

  HostState before_;
  int runs_ = 0;
};

// COMMAND is `sleep 30`: a run that got all the way through is still going
// when it is killed, and a COMMAND that outlived it would be a leftover.

TEST_F(KillDuringSetup, UtsDemoLeavesNothing) {
  kill_everywhere({{nslab::testing::program("uts-demo"), "-v", "-n", "fault", "sleep", "30"},
                   "",
                   false,
                   40,
                   microseconds{3000}});
}

TEST_F(KillDuringSetup, IpcCheckpointLeavesNothing) {
  kill_everywhere({{nslab::testing::program("ipc-checkpoint"), "-v", "-d", "2", "sleep", "30"},
                   "",
                   false,
                   40,
                   microseconds{5000}});
}

TEST_F(KillDuringSetup, InvokeNsLeavesNothing) {
  kill_everywhere({{nslab::testing::program("invoke_ns"), "-v", "-p", "-m", "-u", "fault", "-i",
                    "no", "-q", "{queue}", "--", "sleep", "30"},
                   "hello\n",
                   false,
                   40,
                   microseconds{5000}});
}

TEST_F(KillDuringSetup, IsolateLoopbackLeavesNothing) {
  kill_everywhere({{nslab::testing::program("isolate"), "-v", "--net", "loopback", "sleep", "30"},
                   "",
                   true,
                   25,
                   microseconds{20000}});
}

TEST_F(KillDuringSetup, IsolateInitLeavesNothing) {
  kill_everywhere(
      {{nslab::testing::program("isolate"), "-v", "--net", "none", "--init", "sleep", "30"},
       "",
       true,
       15,
       microseconds{20000}});
}

TEST_F(KillDuringSetup, IsolateVethLeavesNothing) {
  if (!nslab::net::RouteSocket().can_administer_links()) {
    GTEST_SKIP()
        << "needs root in the host's network namespace (CAP_NET_ADMIN) to make a veth pair";
  }
  kill_everywhere({{nslab::testing::program("isolate"), "-v", "--net", "veth", "sleep", "30"},
                   "",
                   true,
                   25,
                   microseconds{20000}});
}

TEST_F(KillDuringSetup, IsolateWithLimitsLeavesNoCgroup) {
  Command probe({nslab::testing::program("isolate"), "--net", "none", "--pids", "64", "true"});
  probe.root_in_user_namespace = false;
  if (const Result r = nslab::testing::run(probe); r.code() != 0) {
    GTEST_SKIP() << "isolate may not make cgroups here (needs root or a delegated cgroup): "
                 << r.err;
  }
  kill_everywhere({{nslab::testing::program("isolate"), "-v", "--net", "none", "--pids", "64",
                    "--memory", "64m", "sleep", "30"},
                   "",
                   true,
                   15,
                   microseconds{20000}});
}

} // namespace
