// part4: isolate's resource limits (--memory, --pids, --cpus).
//
// The cgroup module is checked on its own against fake cgroup trees (a v2 and
// a v1 layout in a TempDir: the files it writes, and their order), so the v2
// code path is tested on any machine. isolate itself is then run as a black
// box where the host lets it make cgroups (root), and the test reads the
// cgroup files from the host while the container runs.
#include "cgroup.hpp"
#include "harness.hpp"
#include "isolate_helpers.hpp"
#include "nslab/error.hpp"
#include "why.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fmt/core.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <iterator>
#include <memory>
#include <poll.h>
#include <sstream>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace {

using namespace nslab::testing;
using namespace isolate_test;
using namespace std::chrono_literals;
namespace cgroup = isolate::cgroup;

bool exists(const std::string& path) { return std::filesystem::exists(path); }

/// The reason when the file at \p path does not read \p expected.
std::string reads(const std::string& path, std::string_view expected) {
  return why(fmt::format("{} reads {}, expected {}", path, in_quotes(read_file(path)),
                         in_quotes(expected)));
}

/// The value of the line "KEY VALUE" in a flat-keyed cgroup file.
std::uint64_t keyed_value(const std::string& text, const std::string& key) {
  std::istringstream lines(text);
  for (std::string name, value; lines >> name >> value;) {
    if (name == key) {
      return std::stoull(value);
    }
  }
  ADD_FAILURE() << "no " << key << " in: " << text;
  return 0;
}

// --- Parsing the limits --------------------------------------------------------

TEST(CgroupLimitValues, MemoryTakesBytesAndSuffixes) {
  EXPECT_EQ(cgroup::parse_memory("33554432", "--memory"), 33554432U);
  EXPECT_EQ(cgroup::parse_memory("32m", "--memory"), 32U << 20);
  EXPECT_EQ(cgroup::parse_memory("32M", "--memory"), 32U << 20);
  EXPECT_EQ(cgroup::parse_memory("8192k", "--memory"), 8192U << 10);
  EXPECT_EQ(cgroup::parse_memory("2g", "--memory"), 2ULL << 30);
}

TEST(CgroupLimitValues, BadValuesAreUsageErrorsNamingTheOption) {
  for (const char* bad : {"0", "-1", "", "abc", "32x", "32mb", "1k", "5m", "99999999999999999g"}) {
    try {
      (void)cgroup::parse_memory(bad, "--memory");
      ADD_FAILURE() << "--memory accepted '" << bad << "'";
    } catch (const nslab::UsageError& error) {
      EXPECT_EQ(std::string(error.what()).rfind("--memory: ", 0), 0U) << error.what();
    }
  }
  for (const char* bad : {"0", "-3", "", "ten", "3.5", "4k"}) {
    EXPECT_THROW((void)cgroup::parse_pids(bad, "--pids"), nslab::UsageError) << bad;
  }
  for (const char* bad :
       {"0", "-1", "", ".", "half", "0.001", "1e0", "0.5x", "1.2.3", "+1", " 1", "100000"}) {
    EXPECT_THROW((void)cgroup::parse_cpus(bad, "--cpus"), nslab::UsageError) << bad;
  }
  EXPECT_EQ(cgroup::parse_pids("32", "--pids"), 32U);
  // --cpus becomes microseconds per 100 ms period, exactly: 0.29 is no
  // 28999.99..., and digits finer than a microsecond are dropped.
  EXPECT_EQ(cgroup::parse_cpus("0.5", "--cpus"), 50'000U);
  EXPECT_EQ(cgroup::parse_cpus(".5", "--cpus"), 50'000U);
  EXPECT_EQ(cgroup::parse_cpus("1.", "--cpus"), 100'000U);
  EXPECT_EQ(cgroup::parse_cpus("0.29", "--cpus"), 29'000U);
  EXPECT_EQ(cgroup::parse_cpus("0.123456789", "--cpus"), 12'345U);
}

// --- Finding the hierarchies ------------------------------------------------------

// This machine's kind of layout: controllers on v1 trees, plus an empty v2
// tree at /sys/fs/cgroup/unified that must not be picked.
constexpr const char* kHybridMountinfo =
    "31 23 0:28 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:5 - cgroup2 cgroup2 rw\n";
constexpr const char* kHybridSelfCgroup = "8:pids:/user.slice\n"
                                          "4:memory:/box/one\n"
                                          "2:cpu,cpuacct:/\n"
                                          "0::/user.slice/session-2.scope\n";

TEST(CgroupLayout, HybridUsesTheV1TreesUnderOurOwnCgroups) {
  const cgroup::Layout layout =
      cgroup::find_layout(kHybridSelfCgroup, kHybridMountinfo, {"memory", "pids", "cpu"});
  ASSERT_EQ(layout.version, cgroup::Version::kV1);
  ASSERT_EQ(layout.hierarchies.size(), 3U);
  EXPECT_EQ(layout.hierarchies[0].own, "/sys/fs/cgroup/memory/box/one");
  EXPECT_EQ(layout.hierarchies[1].own, "/sys/fs/cgroup/pids/user.slice");
  EXPECT_EQ(layout.hierarchies[2].own, "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(layout.hierarchies[2].controllers, Words{"cpu"});
}

TEST(CgroupLayout, PureV2IsOneTree) {
  const cgroup::Layout layout = cgroup::find_layout(
      "0::/user.slice/user-1000.slice/session-2.scope\n",
      "30 23 0:26 / /sys/fs/cgroup rw,nosuid shared:4 - cgroup2 cgroup2 rw,nsdelegate\n",
      {"memory", "pids"});
  ASSERT_EQ(layout.version, cgroup::Version::kV2);
  ASSERT_EQ(layout.hierarchies.size(), 1U);
  EXPECT_EQ(layout.hierarchies[0].mount, "/sys/fs/cgroup");
  EXPECT_EQ(layout.hierarchies[0].own, "/sys/fs/cgroup/user.slice/user-1000.slice/session-2.scope");
  EXPECT_EQ(layout.hierarchies[0].controllers, (Words{"memory", "pids"}));
}

TEST(CgroupLayout, AControllerNowhereIsAnError) {
  EXPECT_THROW((void)cgroup::find_layout("4:memory:/\n", kHybridMountinfo, {"memory", "hugetlb"}),
               nslab::Error);
}

// --- The files written, against fake trees ------------------------------------------

/// Collects the cgroup module's trace: each change it made, in order.
struct Recorder {
  Words commands;
  cgroup::Trace trace() {
    return [this](const std::string& command) { commands.push_back(command); };
  }
};

/// Plays the kernel's part after mkdir: a real cgroup directory comes with
/// its files.
void add_files(const std::string& directory, const Words& names) {
  for (const std::string& name : names) {
    write_file(directory + "/" + name, "");
  }
}

/// ... and after the last process left, rmdir removes it with its files.
void remove_files(const std::string& directory) {
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    if (!entry.is_directory()) {
      std::filesystem::remove(entry.path());
    }
  }
}

TEST(CgroupFakeTree, V2EnablesControllersThenMakesLimitsJoinsAndRemoves) {
  const TempDir root;
  const std::string& top = root.path();
  write_file(top + "/cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
  write_file(top + "/cgroup.subtree_control", "cpu\n"); // cpu is already handed down
  // No cgroup.type: this is the real root, which may hold processes (here
  // PID 1) and still hand controllers down, so none of them is moved.
  write_file(top + "/cgroup.procs", "1\n");
  Recorder recorder;
  const std::string box = top + "/isolate-test";
  const std::string leaf = box + "/container";
  {
    cgroup::Cgroup made(
        {cgroup::Version::kV2, {{top, top + "/user.slice", {"memory", "pids", "cpu"}}}},
        "isolate-test", recorder.trace());
    EXPECT_EQ(recorder.commands,
              (Words{fmt::format("echo +memory +pids > {}/cgroup.subtree_control", top),
                     fmt::format("mkdir {}", box), fmt::format("mkdir {}", leaf)}))
        << why(fmt::format("the cgroup module ran {}", fmt::join(recorder.commands, "; ")));
    EXPECT_EQ(read_file(top + "/cgroup.subtree_control"), "+memory +pids")
        << reads(top + "/cgroup.subtree_control", "+memory +pids");
    EXPECT_EQ(made.directories(), Words{box});

    add_files(box, {"cgroup.procs", "cgroup.kill", "memory.max", "memory.swap.max", "pids.max",
                    "cpu.max", "memory.events"});
    add_files(leaf, {"cgroup.procs"});
    recorder.commands.clear();
    made.limit({32U << 20, 32U, 50'000U});
    made.join(4242);
    EXPECT_EQ(recorder.commands, (Words{fmt::format("echo 33554432 > {}/memory.max", box),
                                        fmt::format("echo 0 > {}/memory.swap.max", box),
                                        fmt::format("echo 32 > {}/pids.max", box),
                                        fmt::format("echo 50000 100000 > {}/cpu.max", box),
                                        fmt::format("echo 4242 > {}/cgroup.procs", leaf)}))
        << why(fmt::format("the cgroup module ran {}", fmt::join(recorder.commands, "; ")));
    EXPECT_EQ(read_file(box + "/memory.max"), "33554432") << reads(box + "/memory.max", "33554432");
    EXPECT_EQ(read_file(box + "/memory.swap.max"), "0") << reads(box + "/memory.swap.max", "0");
    EXPECT_EQ(read_file(box + "/pids.max"), "32") << reads(box + "/pids.max", "32");
    EXPECT_EQ(read_file(box + "/cpu.max"), "50000 100000")
        << reads(box + "/cpu.max", "50000 100000");
    EXPECT_EQ(read_file(leaf + "/cgroup.procs"), "4242") << reads(leaf + "/cgroup.procs", "4242");
    EXPECT_EQ(read_file(box + "/cgroup.procs"), "") << why("the limits' level holds no process");

    write_file(box + "/memory.events",
               "low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\noom_group_kill 0\n");
    EXPECT_EQ(made.memory_kills(), 1U);

    // Removal kills what is left first, then removes the tree deepest first,
    // including a cgroup the container made. The fake directories still hold
    // their files, so the first rmdir fails as it would with a process inside.
    std::filesystem::create_directory(leaf + "/made-inside");
    recorder.commands.clear();
    EXPECT_THROW(made.remove(), nslab::Error);
    EXPECT_EQ(recorder.commands,
              (Words{fmt::format("echo 1 > {}/cgroup.kill", box),
                     fmt::format("rmdir {}/made-inside", leaf), fmt::format("rmdir {}", leaf)}))
        << why(fmt::format("the cgroup module ran {}", fmt::join(recorder.commands, "; ")));
    EXPECT_EQ(read_file(box + "/cgroup.kill"), "1") << reads(box + "/cgroup.kill", "1");
    remove_files(leaf);
    remove_files(box);
  }
  EXPECT_FALSE(exists(box)) << why("the destructor must remove the cgroup");
}

TEST(CgroupFakeTree, V2DelegatedMovesItsProcessesIntoALeafFirst) {
  // An ordinary user's delegated cgroup: the top of the tree may not be
  // written (here it does not exist), the user's own cgroup may, and holds
  // processes, which v2 forbids in a cgroup that hands controllers down.
  const TempDir root;
  const std::string own = root.path() + "/run-1.scope";
  std::filesystem::create_directories(own + "/supervisor");
  write_file(own + "/cgroup.controllers", "memory pids\n");
  write_file(own + "/cgroup.subtree_control", "");
  write_file(own + "/cgroup.procs", "4242\n4343\n");
  write_file(own + "/cgroup.type", "domain\n"); // not the root, which has none
  add_files(own + "/supervisor", {"cgroup.procs"});
  Recorder recorder;
  cgroup::Cgroup made({cgroup::Version::kV2, {{root.path() + "/absent", own, {"pids"}}}},
                      "isolate-test", recorder.trace());
  EXPECT_EQ(recorder.commands, (Words{fmt::format("echo 4242 > {}/supervisor/cgroup.procs", own),
                                      fmt::format("echo 4343 > {}/supervisor/cgroup.procs", own),
                                      fmt::format("echo +pids > {}/cgroup.subtree_control", own),
                                      fmt::format("mkdir {}/isolate-test", own),
                                      fmt::format("mkdir {}/isolate-test/container", own)}))
      << why(fmt::format("the cgroup module ran {}", fmt::join(recorder.commands, "; ")));
}

TEST(CgroupFakeTree, V1WritesEachControllerInItsOwnTree) {
  const TempDir root;
  const std::string memory = root.path() + "/memory";
  const std::string pids = root.path() + "/pids";
  for (const std::string& own : {memory, pids}) {
    std::filesystem::create_directory(own);
    add_files(own, {"cgroup.procs"});
  }
  Recorder recorder;
  cgroup::Cgroup made(
      {cgroup::Version::kV1, {{memory, memory, {"memory"}}, {pids, pids, {"pids"}}}},
      "isolate-test", recorder.trace());
  const std::string box_memory = memory + "/isolate-test";
  const std::string box_pids = pids + "/isolate-test";
  add_files(box_memory, {"cgroup.procs", "memory.limit_in_bytes", "memory.memsw.limit_in_bytes"});
  add_files(box_memory + "/container", {"cgroup.procs", "memory.oom_control"});
  add_files(box_pids, {"cgroup.procs", "pids.max"});
  add_files(box_pids + "/container", {"cgroup.procs"});
  made.limit({16U << 20, 8U, std::nullopt});
  made.join(77);
  // No subtree_control in v1; the swap limit after the memory one, which it
  // may never be below.
  EXPECT_EQ(
      recorder.commands,
      (Words{fmt::format("mkdir {}", box_memory), fmt::format("mkdir {}/container", box_memory),
             fmt::format("mkdir {}", box_pids), fmt::format("mkdir {}/container", box_pids),
             fmt::format("echo 16777216 > {}/memory.limit_in_bytes", box_memory),
             fmt::format("echo 16777216 > {}/memory.memsw.limit_in_bytes", box_memory),
             fmt::format("echo 8 > {}/pids.max", box_pids),
             fmt::format("echo 77 > {}/container/cgroup.procs", box_memory),
             fmt::format("echo 77 > {}/container/cgroup.procs", box_pids)}))
      << why(fmt::format("the cgroup module ran {}", fmt::join(recorder.commands, "; ")));
  // v1 counts an OOM kill only in the cgroup of its victim: the leaf.
  write_file(box_memory + "/container/memory.oom_control",
             "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
  EXPECT_EQ(made.memory_kills(), 3U);
  for (const std::string& box : {box_memory, box_pids}) {
    remove_files(box + "/container");
    remove_files(box);
  }
  recorder.commands.clear();
  made.remove();
  EXPECT_EQ(
      recorder.commands,
      (Words{fmt::format("rmdir {}/container", box_pids), fmt::format("rmdir {}", box_pids),
             fmt::format("rmdir {}/container", box_memory), fmt::format("rmdir {}", box_memory)}))
      << why(fmt::format("the cgroup module ran {}", fmt::join(recorder.commands, "; ")));
  EXPECT_FALSE(exists(box_memory)) << why(box_memory + " was left behind");
  EXPECT_FALSE(exists(box_pids)) << why(box_pids + " was left behind");
}

TEST(CgroupFakeTree, AMissingControllerIsAnErrorAndLeavesNothing) {
  const TempDir root;
  write_file(root.path() + "/cgroup.controllers", "cpu io\n");
  write_file(root.path() + "/cgroup.subtree_control", "");
  add_files(root.path(), {"cgroup.procs"});
  try {
    cgroup::Cgroup made({cgroup::Version::kV2, {{root.path(), root.path(), {"memory"}}}},
                        "isolate-test", [](const std::string&) {});
    ADD_FAILURE() << "made a cgroup without a memory controller";
  } catch (const nslab::Error& error) {
    EXPECT_NE(std::string(error.what()).find("memory controller"), std::string::npos)
        << error.what();
  }
  EXPECT_FALSE(exists(root.path() + "/isolate-test"));
}

// --- The v2 code path on this kernel's own v2 tree -----------------------------------

/// This process's cgroup in the v2 tree, from /proc/self/mountinfo and
/// /proc/self/cgroup; empty when there is no v2 tree.
std::string own_v2_cgroup() {
  std::istringstream mounts(read_file("/proc/self/mountinfo"));
  for (std::string line; std::getline(mounts, line);) {
    std::istringstream fields(line);
    Words field{std::istream_iterator<std::string>(fields), {}};
    const auto dash = std::find(field.begin(), field.end(), "-");
    if (dash != field.end() && dash + 1 != field.end() && dash[1] == "cgroup2") {
      std::istringstream cgroups(read_file("/proc/self/cgroup"));
      for (std::string entry; std::getline(cgroups, entry);) {
        if (entry.rfind("0::", 0) == 0) {
          const std::string path = entry.substr(3);
          return path == "/" ? field[4] : field[4] + path;
        }
      }
    }
  }
  return {};
}

// Hybrid machines mount an empty v2 tree, pure v2 ones a full one: either
// way the kernel's own cgroup.procs, cgroup.kill and rmdir are checked here,
// with no controller involved.
TEST(CgroupRealV2, JoinsKillsAndRemovesAPopulatedCgroup) {
  const std::string own = own_v2_cgroup();
  if (own.empty() || ::access((own + "/cgroup.procs").c_str(), W_OK) != 0) {
    GTEST_SKIP() << "needs a cgroup v2 tree this test may write (root)";
  }
  Command sleeper{{"sleep", "30"}};
  sleeper.close_stdin = false;
  Running victim = start(sleeper);
  const std::string name = unique_name("isolate-test");
  Recorder recorder;
  {
    cgroup::Cgroup made({cgroup::Version::kV2, {{own, own, {}}}}, name, recorder.trace());
    const std::string box = made.directories().at(0);
    if (!exists(box + "/cgroup.kill")) {
      GTEST_SKIP() << "this kernel has no cgroup.kill (Linux 5.14)";
    }
    made.join(victim.pid());
    EXPECT_NE(read_file(fmt::format("/proc/{}/cgroup", victim.pid())).find(name + "/container"),
              std::string::npos);
    made.remove(); // kills the sleeper, then waits for its cgroup to empty
    EXPECT_FALSE(exists(box)) << why(box + " was left behind");
    EXPECT_EQ(recorder.commands.at(recorder.commands.size() - 3),
              fmt::format("echo 1 > {}/cgroup.kill", box));
  }
  EXPECT_EQ(victim.finish().status.describe(), "killed by SIGKILL");
}

// --- isolate with limits, seen from the host ------------------------------------------

/// The directories isolate (pid \p isolate_pid) makes for \p controllers,
/// by the rule in cgroup.cpp: v1 under our own cgroup, v2 at the top.
Words container_cgroups(pid_t isolate_pid, const Words& controllers) {
  const cgroup::Layout layout = cgroup::this_process_layout(controllers);
  Words directories;
  for (const cgroup::Hierarchy& hierarchy : layout.hierarchies) {
    const std::string& parent =
        layout.version == cgroup::Version::kV1 ? hierarchy.own : hierarchy.mount;
    directories.push_back(fmt::format("{}/isolate-{}", parent, isolate_pid));
  }
  return directories;
}

std::string directory_for(pid_t isolate_pid, const std::string& controller) {
  return container_cgroups(isolate_pid, {controller}).at(0);
}

bool v2() { return cgroup::this_process_layout({"pids"}).version == cgroup::Version::kV2; }

/// Waits, by inotify on their parents, until every directory is gone.
/// Created before whatever removes them, so no removal can be missed.
class RemovalWatch {
public:
  explicit RemovalWatch(const Words& directories)
      : directories_(directories), inotify_(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK)) {
    for (const std::string& directory : directories) {
      const std::string parent = std::filesystem::path(directory).parent_path();
      if (::inotify_add_watch(inotify_.get(), parent.c_str(), IN_DELETE) < 0) {
        throw nslab::Error(errno, "inotify_add_watch", parent);
      }
    }
  }

  [[nodiscard]] bool all_gone(milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::any_of(directories_.begin(), directories_.end(), exists)) {
      const auto left =
          std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd ready{inotify_.get(), POLLIN, 0};
      if (left.count() <= 0 || ::poll(&ready, 1, static_cast<int>(left.count())) <= 0) {
        return !std::any_of(directories_.begin(), directories_.end(), exists);
      }
      char events[4096];
      while (::read(inotify_.get(), events, sizeof events) > 0) {
      }
    }
    return true;
  }

private:
  Words directories_;
  nslab::UniqueFd inotify_;
};

class CgroupLimits : public ::testing::Test {
protected:
  // Found by trying, once: as root, or in a delegated cgroup, isolate may
  // make cgroups; otherwise these checks cannot run (see RootlessLimits).
  void SetUp() override {
    static const Result probe = run(isolate_command({"--net", "none", "--pids", "64", "true"}));
    if (probe.err.find("not implemented: ") != std::string::npos) {
      FAIL() << why(probe, "stopped at an exercise's stub, so no limit could be checked");
    }
    if (probe.code() != 0) {
      GTEST_SKIP() << "isolate may not make cgroups here (needs root or a delegated cgroup): "
                   << probe.err;
    }
  }
  void TearDown() override {
    EXPECT_TRUE(leftover_processes().empty()) << why("a process was left behind");
  }
};

TEST_F(CgroupLimits, AMemoryHogIsKilledAndVerboseSaysWhy) {
  // The shell doubles a string until the kernel's OOM killer stops it.
  const Result result = run(isolate_command(
      {"-v", "--net", "none", "--memory", "32m", "sh", "-c", "x=a; while :; do x=$x$x; done"}));
  EXPECT_EQ(result.code(), 128 + SIGKILL) << exited(result, 128 + SIGKILL);
  EXPECT_NE(result.out.find("the memory limit was hit"), std::string::npos)
      << lacks(result, "the memory limit was hit");
}

TEST_F(CgroupLimits, AForkBombCannotGrowPastThePidsLimit) {
  // The inner shell forks sleeps until fork fails, and dies of it; the
  // outer one (PID 1) then reports, needing no fork for echo or read.
  Running running = start_isolate(
      {"--net", "none", "--pids", "32"},
      "sh -c 'while sleep 30 & do :; done' 2>/dev/null; echo contained; read line || :");
  ASSERT_TRUE(running.wait_for_output("contained\n")) << never_printed(running, "contained\n");
  const std::string box = directory_for(running.pid(), "pids");
  EXPECT_EQ(read_file(box + "/pids.max"), "32\n") << reads(box + "/pids.max", "32\n");
  EXPECT_LE(std::stoull(read_file(box + "/pids.peak")), 32U);
  // Refused forks are counted where the fork was tried (v1: the leaf) or
  // for the whole subtree (v2: the leaf has no pids files of its own).
  std::uint64_t refused = 0;
  for (const std::string& events : {box + "/pids.events", box + "/container/pids.events"}) {
    refused += exists(events) ? keyed_value(read_file(events), "max") : 0;
  }
  EXPECT_GT(refused, 0U) << why("no fork was refused: the bomb never reached the limit");
  // The host still starts processes.
  EXPECT_EQ(run(Command{{"true"}}).code(), 0);
  // Every process of the bomb, held by pidfd so a recycled pid cannot fool us.
  std::vector<nslab::UniqueFd> bomb;
  std::istringstream members(read_file(box + "/container/cgroup.procs"));
  for (pid_t pid = 0; members >> pid;) {
    if (nslab::UniqueFd pidfd = open_pidfd(pid); pidfd.valid()) {
      bomb.push_back(std::move(pidfd));
    }
  }
  EXPECT_GT(bomb.size(), 16U);
  EXPECT_LE(bomb.size(), 32U);
  running.close_stdin();
  const Result result = running.finish();
  EXPECT_EQ(result.code(), 0) << exited(result, 0);
  for (const nslab::UniqueFd& process : bomb) {
    EXPECT_TRUE(wait_for_exit(process, 5s))
        << why("a process of the fork bomb outlived the container by 5 s");
  }
  EXPECT_FALSE(exists(box)) << why(box + " was left behind");
}

TEST_F(CgroupLimits, OneTaskIsEnoughToStart) {
  // With room for one task, the container's PID 1 may not run isolate's
  // second thread of setup; it still starts, with its network.
  const Result result =
      run(isolate_command({"--net", "loopback", "--pids", "1", "ip", "-o", "link", "show", "lo"}));
  EXPECT_EQ(result.code(), 0) << exited(result, 0);
  EXPECT_NE(result.out.find(",UP,"), std::string::npos) << lacks(result, ",UP,");
}

TEST_F(CgroupLimits, NoRoomForASecondThreadStillStarts) {
  // An outer limit isolate does not know of: room for isolate and its
  // child, not for the child's second thread of setup. It must fall back to
  // making the network namespace on its one thread.
  if (v2()) {
    GTEST_SKIP() << "needs a v1 pids hierarchy, whose cgroups may hold processes at any level";
  }
  const cgroup::Hierarchy pids = cgroup::this_process_layout({"pids"}).hierarchies.at(0);
  const std::string outer = fmt::format("{}/nslab-outer-{}", pids.own, ::getpid());
  ASSERT_EQ(::mkdir(outer.c_str(), 0755), 0) << why("mkdir " + outer + ": " + std::strerror(errno));
  const std::unique_ptr<const std::string, void (*)(const std::string*)> remove_outer(
      &outer, [](const std::string* path) { ::rmdir(path->c_str()); });
  write_file(outer + "/pids.max", "2");
  const Result result = run(
      prefixed({"sh", "-c", fmt::format("echo $$ > {}/cgroup.procs && exec \"$@\"", outer), "sh"},
               {"--net", "loopback", "ip", "-o", "link", "show", "lo"}));
  EXPECT_EQ(result.code(), 0) << exited(result, 0);
  EXPECT_NE(result.out.find(",UP,"), std::string::npos) << lacks(result, ",UP,");
}

TEST_F(CgroupLimits, CpusSetsTheQuota) {
  Running running =
      start_isolate({"--net", "none", "--cpus", "0.25"}, "echo ready; read line || :");
  ASSERT_TRUE(running.wait_for_output("ready\n")) << never_printed(running, "ready\n");
  const std::string box = directory_for(running.pid(), "cpu");
  if (v2()) {
    EXPECT_EQ(read_file(box + "/cpu.max"), "25000 100000\n")
        << reads(box + "/cpu.max", "25000 100000\n");
  } else {
    EXPECT_EQ(read_file(box + "/cpu.cfs_quota_us"), "25000\n")
        << reads(box + "/cpu.cfs_quota_us", "25000\n");
    EXPECT_EQ(read_file(box + "/cpu.cfs_period_us"), "100000\n")
        << reads(box + "/cpu.cfs_period_us", "100000\n");
  }
  running.close_stdin();
  EXPECT_EQ(running.finish().code(), 0);
}

TEST_F(CgroupLimits, TheContainerSeesItsOwnCgroupAsRoot) {
  Running running = start_isolate({"--net", "none", "--memory", "64m", "--pids", "16"},
                                  "cat /proc/self/cgroup; echo ready; read line || :");
  ASSERT_TRUE(running.wait_for_output("ready\n")) << never_printed(running, "ready\n");
  // From the host, the container's processes are in the new cgroup...
  const std::string box = directory_for(running.pid(), "memory");
  EXPECT_FALSE(read_file(box + "/container/cgroup.procs").empty());
  // ... and inside, every line of /proc/self/cgroup says "/".
  std::istringstream shown(running.out_so_far());
  int cgroup_lines = 0;
  for (std::string line; std::getline(shown, line) && line != "ready"; ++cgroup_lines) {
    EXPECT_EQ(line.substr(line.rfind(':')), ":/") << line;
  }
  EXPECT_GT(cgroup_lines, 0);
  running.close_stdin();
  EXPECT_EQ(running.finish().code(), 0);
}

/// Lets the container's script finish (it waits on stdin) and expects it to
/// end well, taking every one of its cgroup directories \p boxes with it.
void expect_it_ends_taking(Running& running, const Words& boxes) {
  running.close_stdin();
  EXPECT_EQ(running.finish().code(), 0);
  for (const std::string& box : boxes) {
    EXPECT_FALSE(exists(box)) << why(box + " outlived the container");
  }
}

/// A container with all three limits, idle until the test closes its stdin.
Running start_limited_idle_container() {
  return start_isolate({"--net", "none", "--memory", "64m", "--pids", "16", "--cpus", "1"},
                       "echo ready; read line || :");
}

TEST_F(CgroupLimits, TheContainerCannotRaiseItsLimitsNorLeaveACgroupBehind) {
  // The attack: mount the cgroup file system inside (v1 or v2), raise every
  // limit it finds, and make a cgroup of its own that would block the rmdir.
  // By default the container lacks CAP_SYS_ADMIN and cannot mount at all;
  // given it, as `docker run --cap-add SYS_ADMIN` would, it meets the second
  // wall: its cgroup namespace shows only the leaf below the limits.
  const std::string attack =
      "for c in memory pids; do"
      "  mount -t cgroup -o $c none /tmp 2>/dev/null || mount -t cgroup2 none /tmp 2>/dev/null;"
      "  echo 1000000000 > /tmp/memory.memsw.limit_in_bytes;"
      "  echo 1000000000 > /tmp/memory.limit_in_bytes; echo max > /tmp/memory.max;"
      "  echo max > /tmp/pids.max; mkdir /tmp/made-inside; umount /tmp;"
      "done 2>/dev/null; echo ready; read line || :";
  Running running = start_isolate(
      {"--net", "none", "--cap-add", "SYS_ADMIN", "--memory", "32m", "--pids", "16"}, attack);
  ASSERT_TRUE(running.wait_for_output("ready\n")) << never_printed(running, "ready\n");
  const Words boxes = container_cgroups(running.pid(), {"memory", "pids"});
  const bool on_v2 = v2();
  const std::string memory_limit = boxes[0] + (on_v2 ? "/memory.max" : "/memory.limit_in_bytes");
  EXPECT_EQ(read_file(memory_limit), "33554432\n") << reads(memory_limit, "33554432\n");
  EXPECT_EQ(read_file(directory_for(running.pid(), "pids") + "/pids.max"), "16\n")
      << reads(directory_for(running.pid(), "pids") + "/pids.max", "16\n");
  expect_it_ends_taking(running, boxes);
}

TEST_F(CgroupLimits, TheCgroupIsGoneAfterTheContainerExits) {
  Running running = start_limited_idle_container();
  ASSERT_TRUE(running.wait_for_output("ready\n")) << never_printed(running, "ready\n");
  const Words boxes = container_cgroups(running.pid(), {"memory", "pids", "cpu"});
  for (const std::string& box : boxes) {
    EXPECT_TRUE(exists(box)) << why(box + " is missing");
  }
  expect_it_ends_taking(running, boxes);
}

TEST_F(CgroupLimits, TheJanitorRemovesTheCgroupAfterSigkill) {
  Running running = start_limited_idle_container();
  ASSERT_TRUE(running.wait_for_output("ready\n")) << never_printed(running, "ready\n");
  const Words boxes = container_cgroups(running.pid(), {"memory", "pids", "cpu"});
  for (const std::string& box : boxes) {
    ASSERT_TRUE(exists(box)) << why(box + " is missing");
  }
  RemovalWatch watch(boxes);
  running.send_signal(SIGKILL);
  EXPECT_EQ(running.finish().code(), 128 + SIGKILL);
  EXPECT_TRUE(watch.all_gone(5000ms)) << why("the janitor left the container's cgroup behind");
}

TEST(RootlessLimits, ALimitWithoutADelegatedCgroupIsOneLineAnd125) {
  Command command = isolate_command({"--net", "none", "--memory", "32m", "true"});
  command.rootless = true; // as nobody when the suite runs as root
  const Result result = run(command);
  // Run by an ordinary user, the suite may sit in a delegated cgroup, where
  // limits work; nobody, switched to by root, never does.
  if (result.code() == 0 && runs_in_user_namespace()) {
    GTEST_SKIP() << "this user's own cgroup is delegated, so the limit works here";
  }
  EXPECT_EQ(result.code(), 125) << exited(result, 125);
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1)
      << complained(result, "one line");
  EXPECT_NE(result.err.find("delegated cgroup"), std::string::npos)
      << did_not_say(result, "delegated cgroup");
  EXPECT_NE(result.err.find("systemd-run --user --scope -p Delegate=yes"), std::string::npos)
      << did_not_say(result, "systemd-run --user --scope -p Delegate=yes");
}

TEST(BadLimits, EachIsOneLineNamingTheOptionAnd125) {
  for (const Words& bad :
       {Words{"--memory", "0"}, Words{"--memory", "lots"}, Words{"--memory", "1k"},
        Words{"--pids", "-1"}, Words{"--cpus", "0"}, Words{"--cpus", "x"}}) {
    Words argv = bad;
    argv.emplace_back("true");
    const Result result = run(isolate_command(argv));
    EXPECT_EQ(result.code(), 125) << exited(result, 125);
    EXPECT_EQ(result.err.rfind(fmt::format("isolate: {}: ", bad[0]), 0), 0U)
        << complained(result, fmt::format("isolate: {}: ...", bad[0]));
  }
}

} // namespace
