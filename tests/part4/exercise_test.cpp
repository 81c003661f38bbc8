// part4: each exercise on its own. Every isolate run needs all of part 4's
// exercises, so a stub in any one of them stops it; these checks call one
// exercise's function directly, in namespaces the test makes itself, and look
// at the result from the host. One correct exercise passes its own check here
// whatever the state of the others. (The veth exercise has its own in
// veth_test.cpp: VethPair.*.)
#include "gated_child.hpp"
#include "harness.hpp"
#include "mounts.hpp"
#include "text.hpp"
#include "user_namespace.hpp"
#include "why.hpp"

#include "gate.hpp"
#include "nslab/child.hpp"
#include "nslab/error.hpp"

#include <algorithm>
#include <fcntl.h>
#include <filesystem>
#include <fmt/core.h>
#include <fstream>
#include <functional>
#include <gtest/gtest.h>
#include <sched.h>
#include <set>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

using namespace nslab::testing;
using namespace std::chrono_literals;

/// What the test process can give a child without the user namespace set-up
/// under test: root makes namespaces directly; an ordinary user also makes
/// a user namespace and writes its one-line maps itself (the test's own
/// code, not part4.userns-map's).
int user_namespace_flag() { return runs_in_user_namespace() ? CLONE_NEWUSER : 0; }

/// Runs \p step in a child in new \p namespaces (and a user namespace whose
/// one-line maps the test writes, when it is not root), and returns the
/// child, still alive for the host to look at, and its report.
struct Subject {
  Subject(int namespaces, std::function<void()> step)
      : child(namespaces | user_namespace_flag(), std::move(step)) {
    if (user_namespace_flag() != 0) {
      const std::string proc = fmt::format("/proc/{}", child.pid());
      write_file(proc + "/uid_map", fmt::format("0 {} 1", ::geteuid()));
      write_file(proc + "/setgroups", "deny");
      write_file(proc + "/gid_map", fmt::format("0 {} 1", ::getegid()));
    }
    report = child.release();
  }
  [[nodiscard]] pid_t pid() const noexcept { return child.pid(); }

  GatedChild child;
  std::string report; ///< "ok", or what the step threw
};

/// The words of each line of a /proc/PID file, read from the host.
std::vector<Words> table(pid_t pid, const std::string& file) {
  std::vector<Words> rows;
  for (const std::string& line : lines(read_file(fmt::format("/proc/{}/{}", pid, file)))) {
    rows.push_back(words(line));
  }
  return rows;
}

TEST(Alone, UsernsMapWritesTheChildsMapsInOrder) {
  // Root may map any ids, so its maps differ from its own: a map copied
  // from the parent would not pass. An ordinary user may map only its own.
  const bool root = !runs_in_user_namespace();
  isolate::IdMaps maps;
  maps.uids = {{0, root ? 4242UL : ::geteuid(), 1}};
  maps.gids = {{0, root ? 4343UL : ::getegid(), 1}};
  maps.deny_setgroups = true;
  Gate written;
  nslab::Child child =
      nslab::clone_child(CLONE_NEWUSER, [&written] { return written.pass() ? 0 : 1; });
  std::string failure;
  try {
    isolate::apply_id_maps(child.pid(), maps);
  } catch (const std::exception& error) {
    failure = error.what();
  }
  ASSERT_EQ(failure, "") << why("write_id_maps threw: " + failure);
  const auto expected = [](const isolate::IdRange& range) {
    return std::vector<Words>{{"0", std::to_string(range.outside), "1"}};
  };
  EXPECT_EQ(table(child.pid(), "uid_map"), expected(maps.uids[0])) << why(fmt::format(
      "the child's uid_map reads {}, expected \"0 {} 1\"",
      in_quotes(read_file(fmt::format("/proc/{}/uid_map", child.pid()))), maps.uids[0].outside));
  EXPECT_EQ(table(child.pid(), "gid_map"), expected(maps.gids[0])) << why(fmt::format(
      "the child's gid_map reads {}, expected \"0 {} 1\"",
      in_quotes(read_file(fmt::format("/proc/{}/gid_map", child.pid()))), maps.gids[0].outside));
  EXPECT_EQ(read_file(fmt::format("/proc/{}/setgroups", child.pid())), "deny\n")
      << why("the child's setgroups file does not read \"deny\": with deny_setgroups, write "
             "\"deny\" to it before gid_map");
  written.open();
  EXPECT_EQ(child.wait(), nslab::ExitStatus::exited(0));
}

/// A directory to pivot into: a mount point (bound onto itself, as
/// pivot_root(2) requires), with the tmp/ that takes the old root.
struct Rootfs {
  TempDir dir;
  std::string marker = "nslab-rootfs-" + std::to_string(::getpid());
  Rootfs() {
    std::filesystem::create_directory(dir.path() + "/tmp");
    std::ofstream(dir.path() + "/" + marker) << "here\n";
  }
  /// In the child, after its mounts are private.
  void mount_onto_itself() const {
    nslab::check(::mount(dir.path().c_str(), dir.path().c_str(), nullptr, MS_BIND, nullptr),
                 "mount", dir.path());
  }
};

/// True when \p a and \p b are the same directory (device and inode): from
/// the host, /proc/PID/root and /proc/PID/cwd lead to the process's own.
bool same_directory(const std::string& a, const std::string& b) {
  struct stat first {};
  struct stat second {};
  return ::stat(a.c_str(), &first) == 0 && ::stat(b.c_str(), &second) == 0 &&
         first.st_dev == second.st_dev && first.st_ino == second.st_ino;
}

TEST(Alone, PivotRootMakesTheRootfsTheRootWithTheOldRootOnItsTmp) {
  const Rootfs rootfs;
  const std::string host_mounts = read_file("/proc/self/mountinfo");
  Subject subject(CLONE_NEWNS, [&rootfs] {
    isolate::make_mounts_private();
    rootfs.mount_onto_itself();
    isolate::pivot_into(rootfs.dir.path());
  });
  const std::string& report = subject.report;
  ASSERT_EQ(report, "ok") << why("pivot_into(" + rootfs.dir.path() + ") failed: " + report);
  EXPECT_TRUE(same_directory(fmt::format("/proc/{}/root", subject.pid()), rootfs.dir.path()))
      << why("after pivot_into, the child's / is not the rootfs");
  EXPECT_TRUE(same_directory(fmt::format("/proc/{}/cwd", subject.pid()), rootfs.dir.path()))
      << why("after pivot_into, the child's working directory is not its new / (chdir(\"/\") "
             "after pivot_root)");
  // The old root hangs at /tmp: the rootfs is reachable there under its host path.
  const std::string through_old_root =
      fmt::format("/proc/{}/root/tmp{}/{}", subject.pid(), rootfs.dir.path(), rootfs.marker);
  EXPECT_TRUE(std::filesystem::exists(through_old_root))
      << why("after pivot_into, the old root is not on the rootfs's /tmp (put_old must be "
             "rootfs + \"/tmp\")");
  EXPECT_EQ(read_file("/proc/self/mountinfo"), host_mounts)
      << why("the host's mount table changed while the child pivoted");
}

/// The numbered entries of a /proc directory: the pids it shows.
std::set<std::string> pids_in(const std::string& proc) {
  std::set<std::string> pids;
  std::error_code gone;
  for (const auto& entry : std::filesystem::directory_iterator(proc, gone)) {
    const std::string name = entry.path().filename().string();
    if (std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      pids.insert(name);
    }
  }
  return pids;
}

TEST(Alone, MountProcMountsANewProcNosuidNodevNoexec) {
  const std::string host_mounts = read_file("/proc/self/mountinfo");
  // The child is PID 1 of a new PID namespace, whose proc it mounts.
  Subject subject(CLONE_NEWNS | CLONE_NEWPID, [] {
    isolate::make_mounts_private();
    isolate::mount_proc();
  });
  const std::string& report = subject.report;
  ASSERT_EQ(report, "ok") << why("mount_proc() failed: " + report);
  // The child's mount table, from the host: the last mount on /proc is the new one.
  Words proc;
  for (const Words& mount : table(subject.pid(), "mountinfo")) {
    if (mount.size() > 5 && mount[4] == "/proc") {
      proc = mount;
    }
  }
  ASSERT_FALSE(proc.empty()) << why("nothing is mounted on /proc in the child");
  const std::string options = proc[5];
  for (const char* flag : {"nosuid", "nodev", "noexec"}) {
    EXPECT_NE(("," + options + ",").find(fmt::format(",{},", flag)), std::string::npos)
        << why(fmt::format("the new /proc is mounted {}, without {}: pass MS_NOSUID | MS_NODEV "
                           "| MS_NOEXEC",
                           in_quotes(options), flag));
  }
  // A new proc shows the new PID namespace: the child alone, as PID 1.
  const std::set<std::string> shown = pids_in(fmt::format("/proc/{}/root/proc", subject.pid()));
  EXPECT_EQ(shown, std::set<std::string>{"1"})
      << why(fmt::format("the child's /proc shows {} processes, expected PID 1 alone: it is "
                         "not a new proc of the child's PID namespace",
                         shown.size()));
  EXPECT_EQ(read_file("/proc/self/mountinfo"), host_mounts)
      << why("the host's mount table changed when the child mounted its /proc");
}

} // namespace
